"""The Jira client against the fake Jira, driven by the real ``jira`` library: the HTTP
traffic it makes, and how each kind of failure comes out (configuration or retryable)."""

from __future__ import annotations

import base64

import pytest

from hub.hooktypes import ConfigurationError
from plugins.jira.client import JiraClient, JiraConfigurationError, JiraUnavailable, Settings


@pytest.fixture
def jira(fake) -> JiraClient:  # noqa: ANN001
    return JiraClient(Settings(url=fake.url, user="hub@example.org", token="tok", timeout=0.5))


def test_create_issue_sends_fields_as_objects_and_gives_key_and_url(fake, jira):
    key, url = jira.create_issue("DEV", "Bug", "Broken form", "It fails", ["slahub-call-1"])
    assert (key, url) == ("DEV-1", f"{fake.url}/browse/DEV-1")
    assert [(r.method, r.path) for r in fake.log] == [
        ("GET", "/rest/api/2/serverInfo"),
        ("POST", "/rest/api/2/issue"),
    ]
    [post] = fake.requests("POST")
    assert post.body == {"fields": {
        "project": {"key": "DEV"}, "issuetype": {"name": "Bug"}, "summary": "Broken form",
        "description": "It fails", "labels": ["slahub-call-1"]}}  # fmt: skip
    expected = "Basic " + base64.b64encode(b"hub@example.org:tok").decode()
    assert post.headers["authorization"] == expected


def test_a_personal_access_token_goes_as_bearer(fake):
    JiraClient(Settings(url=fake.url, token="pat", auth="bearer")).myself()
    assert {r.headers["authorization"] for r in fake.log} == {"Bearer pat"}


def test_find_by_label_searches_the_project(fake, jira):
    jira.create_issue("DEV", "Bug", "one", "", ["slahub-call-1"])
    jira.create_issue("DEV", "Bug", "two", "", ["slahub-call-2"])
    jira.create_issue("OPS", "Bug", "three", "", ["slahub-call-2"])
    assert [k for k, _ in jira.find_by_label("slahub-call-2", "DEV")] == ["DEV-2"]
    assert jira.find_by_label("slahub-call-3", "DEV") == []
    [search] = fake.requests("GET", "/search")[-1:]
    assert search.query["jql"] == [
        'labels = "slahub-call-3" AND project = "DEV" ORDER BY created ASC'
    ]


def test_comments_remote_links_and_transitions(fake, jira):
    key, _ = jira.create_issue("DEV", "Bug", "one", "", [])
    comment_id = jira.add_comment(key, "Looked at it")
    assert jira.find_comment(key, "Looked at it") == comment_id
    assert jira.find_comment(key, "something else") is None
    jira.add_remote_link(key, "https://hub/calls/1", "call 1")
    jira.add_remote_link(key, "https://hub/calls/1", "call 1")  # a retry: not twice
    assert [link["object"]["url"] for link in fake.remote_links[key]] == ["https://hub/calls/1"]
    jira.transition(key, "resolve issue")  # by name, as Jira's UI shows it
    assert fake.issues[key]["fields"]["status"]["name"] == "Resolved"
    assert fake.requests("POST", "/transitions")[0].body["transition"] == {"id": "21"}


@pytest.mark.parametrize("status", [401, 403, 404, 400])
@pytest.mark.parametrize("empty", [False, True])
def test_refusals_of_the_hubs_settings_are_configuration_errors(fake, jira, status, empty):
    jira.myself()
    fake.fail_next(status, messages=["You are not authenticated"], empty=empty)
    with pytest.raises(JiraConfigurationError) as caught:
        jira.add_comment("DEV-1", "hello")
    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.status == status
    message = str(caught.value)
    assert f"{fake.url}/rest/api/2/issue/DEV-1/comment answered {status}" in message
    assert ("no error message" if empty else "You are not authenticated") in message


def test_a_wrong_token_is_refused_on_connect(fake, jira):
    fake.fail_next(401, empty=True)
    with pytest.raises(JiraConfigurationError, match="serverInfo answered 401"):
        jira.myself()


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_retryable_and_not_retried_here(fake, jira, status):
    jira.myself()
    fake.fail_next(status)
    with pytest.raises(JiraUnavailable, match=f"answered {status}"):
        jira.add_comment("DEV-1", "hello")
    assert len(fake.requests("POST")) == 1  # the library's own retries are off


def test_malformed_json_is_retryable(fake, jira):
    jira.myself()
    fake.malformed_next()
    with pytest.raises(JiraUnavailable, match="not Jira's JSON"):
        jira.create_issue("DEV", "Bug", "one", "", [])


def test_a_slow_jira_times_out(fake, jira):
    jira.myself()
    fake.delay = 1.0
    with pytest.raises(JiraUnavailable, match="timed out"):
        jira.add_comment("DEV-1", "hello")


def test_an_unreachable_jira_is_retryable(fake):
    jira = JiraClient(Settings(url="http://127.0.0.1:9", user="u", token="t", timeout=0.5))
    with pytest.raises(JiraUnavailable, match="unreachable"):
        jira.myself()


def test_an_unknown_transition_name_is_a_configuration_error(fake, jira):
    key, _ = jira.create_issue("DEV", "Bug", "one", "", [])
    with pytest.raises(JiraConfigurationError, match="Invalid transition name"):
        jira.transition(key, "Teleport")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(url="", token="t", user="u"), "url is not set"),
        (Settings(url="http://j", token="", user="u"), "token is not set"),
        (Settings(url="http://j", token="t", user=""), "needs a user"),
        (Settings(url="http://j", token="t", auth="oauth"), "use basic or bearer"),
    ],
)
def test_incomplete_settings_are_configuration_errors(settings, message):
    with pytest.raises(JiraConfigurationError, match=message):
        JiraClient(settings)
