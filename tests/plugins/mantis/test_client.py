"""The MantisBT client against the fake MantisBT: auth, envelopes, sparse JSON, dates,
paging, and every error style turned into the right exception."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from hub.hooktypes import ConfigurationError
from plugins.mantis.client import (
    MantisAuthError,
    MantisClient,
    MantisNotFound,
    MantisRefused,
    MantisUnavailable,
    TimeTrackingDisabled,
    duration,
    parse_date,
)
from tests.plugins.mantis.conftest import TOKEN


@pytest.fixture
def mantis(fake) -> MantisClient:  # noqa: ANN001
    return MantisClient(fake.url + "/", TOKEN, timeout=0.5)


def test_the_bare_token_is_sent_and_me_answers(fake, mantis):
    assert mantis.me() == {"id": 2, "name": "slahub", "language": "english"}
    [(method, path, headers, _)] = fake.requests
    assert (method, path, headers["Authorization"]) == ("GET", "/api/rest/users/me", TOKEN)


def test_a_bearer_token_is_refused_like_released_mantis_does(fake):
    client = MantisClient(fake.url, f"Bearer {TOKEN}", timeout=0.5)
    with pytest.raises(MantisAuthError) as caught:
        client.me()
    err = caught.value
    assert isinstance(err, ConfigurationError)  # the worker gives up at once
    assert err.status == 401 and err.url == f"{fake.url}/api/rest/users/me"
    assert str(err) == (
        f"GET {fake.url}/api/rest/users/me: 401 Valid API token required: check the token"
    )


def test_an_issue_comes_sparse_in_a_list_of_one_with_dates_in_utc(fake, mantis):
    fake.add_issue(summary="Form broken", description="The contact form 500s")
    issue = mantis.get_issue(1)
    assert issue["summary"] == "Form broken" and issue["status"]["name"] == "new"
    assert "handler" not in issue and "notes" not in issue and "custom_fields" not in issue
    assert issue["created_at"].endswith("-04:00")
    created = parse_date(issue["created_at"])
    assert created.tzinfo is UTC and created == fake.issues[1]["created_at"]


def test_issues_are_listed_newest_change_first_in_1_based_pages(fake, mantis):
    for n in range(5):
        fake.add_issue(summary=f"issue {n}", description="x")
    fake.user_change(2, summary="issue 1, changed")
    pages = [[i["id"] for i in mantis.list_issues(1, page=p, page_size=2)] for p in (1, 2, 3, 4)]
    assert pages == [[2, 5], [4, 3], [1], []]
    with pytest.raises(MantisNotFound, match=r"404 Project '9' doesn't exist"):
        mantis.list_issues(9)


def test_create_update_and_note_use_their_own_envelopes(fake, mantis):
    issue = mantis.create_issue(project_id=1, summary="Disk full", description="web01",
                                category="bug", priority="high")  # fmt: skip
    assert (issue["id"], issue["category"]["name"], issue["priority"]["name"]) == (1, "Bug", "high")
    assert issue["reporter"]["name"] == "slahub"
    updated = mantis.update_issue(1, {"status": {"name": "resolved"}})
    assert updated["status"]["name"] == "resolved"
    assert parse_date(updated["updated_at"]) > parse_date(issue["updated_at"])
    note = mantis.add_note(1, "Rebooted web01")
    assert note.id == 101 and note.issue["notes"][0]["text"] == "Rebooted web01"
    assert fake.seen("POST", "/api/rest/issues/1/notes")[0][3]["view_state"] == {"name": "public"}


def test_a_duration_is_refused_while_time_tracking_is_off(fake, mantis):
    fake.add_issue(summary="a", description="b")
    with pytest.raises(TimeTrackingDisabled, match="403 Time tracking disabled") as caught:
        mantis.add_note(1, "worked on it", minutes=90)
    assert isinstance(caught.value, ConfigurationError)
    assert fake.seen("POST", r".*/notes")[0][3]["time_tracking"] == {"duration": "1:30"}
    fake.time_tracking = True
    note = mantis.add_note(1, "worked on it", minutes=90)
    logged = note.issue["notes"][0]
    assert (logged["type"], logged["time_tracking"]) == ("timelog", {"duration": "01:30"})


def test_unknown_issue_category_and_project(fake, mantis):
    with pytest.raises(MantisNotFound, match=r"404 Issue #7 not found \(code 1100\)"):
        mantis.get_issue(7)
    with pytest.raises(MantisNotFound, match=r"Category 'Nope' not found. \(code 1502\)"):
        mantis.create_issue(project_id=1, summary="a", description="b", category="Nope")
    assert mantis.project_id("amarant INTRANET") == 1 and mantis.project_id("2") == 2
    with pytest.raises(MantisNotFound, match="no project 'Elsewhere'"):
        mantis.project_id("Elsewhere")
    with pytest.raises(MantisRefused, match="400 Summary not specified"):
        mantis.create_issue(project_id=1, summary=" ", description="b")


@pytest.mark.parametrize(
    ("status", "body", "error", "detail"),
    [
        (500, "text", MantisUnavailable, "500 INTERNAL SERVER ERROR: Fatal error: Uncaught"),
        (503, "empty", MantisUnavailable, "503 Service Unavailable"),
        (500, "json", MantisUnavailable, "500 Internal error (code 500)"),
        (200, "malformed", MantisUnavailable, "200 but the body is not JSON"),
        (403, "empty", MantisAuthError, "403 Error"),
        (429, "empty", MantisUnavailable, "429 Error"),
    ],
)
def test_error_answers_become_the_right_exception(fake, mantis, status, body, error, detail):
    fake.fail_next(1, status, body)
    with pytest.raises(error) as caught:
        mantis.get_issue(1)
    assert str(caught.value).startswith(f"GET {fake.url}/api/rest/issues/1: ")
    assert detail in str(caught.value)
    assert caught.value.status == status


def test_a_slow_server_times_out_and_a_closed_port_is_unavailable(fake, mantis):
    fake.delay = 0.3
    slow = MantisClient(fake.url, TOKEN, timeout=0.1)
    with pytest.raises(MantisUnavailable, match="no answer within 0.1s"):
        slow.me()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(MantisUnavailable, match="ConnectionError") as caught:
        MantisClient(f"http://127.0.0.1:{closed}", TOKEN, timeout=0.5).me()
    assert caught.value.status is None and not isinstance(caught.value, ConfigurationError)


def test_config_options_and_helpers(mantis):
    values = mantis.config(["status_enum_string", "secret_option"])
    assert list(values) == ["status_enum_string"]
    assert values["status_enum_string"][0] == {"id": 10, "name": "new", "label": "new"}
    assert duration(90) == "1:30" and duration(5) == "0:05"
    assert parse_date("2017-04-23T13:12:28-04:00") == datetime(2017, 4, 23, 17, 12, 28, tzinfo=UTC)
    assert parse_date(None) is None
    assert mantis.issue_url(3) == mantis.base + "/view.php?id=3"
