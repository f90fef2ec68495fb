"""The service wiki end to end, against a real MediaWiki: the hub's changes reach the
wiki through the worker's outbox, only the affected pages are edited, the human
section survives, a person's edit in between is re-read, an outage waits, a protected
page is reported and not retried."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import plugins.mediawiki
from hub import docdata, documentation
from hub.cli import main
from hub.db import db
from hub.models import Contract, DocPage, OutboxDelivery
from hub.worker import drain_once
from plugins.mediawiki import render
from plugins.mediawiki.render import HUMAN_BEGIN, HUMAN_END
from tests.support.mediawiki import Wiki

CLIENT_PAGE = "Service:Amarant"


@pytest.fixture
def config_extra(wiki: Wiki) -> dict:
    return {
        "ENABLED_PLUGINS": ["mediawiki"],
        "PLUGINS": {
            "mediawiki": {
                "url": f"{wiki.url}/",
                "user": wiki.bot_user,
                "bot_password": wiki.bot_password,
                "timeout": 3,
            }
        },
        "OUTBOX_BACKOFF_BASE": 0.0,
        "OUTBOX_BACKOFF_CAP": 0.0,
    }


def deliver(app) -> None:  # noqa: ANN001
    while drain_once(app, "wiki-test"):
        pass


def titles() -> list[str]:
    return sorted(render.title(s, "Service") for s in docdata.all_subjects())


def revisions(wiki: Wiki) -> dict[str, int]:
    return {title: len(wiki.person.revisions(title)) for title in titles()}


def change_contract(**fields: object) -> None:
    from hub import directory

    contract = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
    directory.update_contract(contract, **fields)
    db.session.commit()


@pytest.fixture
def synced(ctx, wiki: Wiki):  # noqa: ANN201
    """The demo's own requests delivered, then a full sync: every page exists."""
    deliver(ctx)
    for subject in docdata.all_subjects():
        documentation.collect(subject)
    db.session.commit()
    return ctx


def test_the_first_sync_creates_every_page_and_a_second_makes_no_edit(synced, wiki):
    before = revisions(wiki)
    assert before and all(n >= 1 for n in before.values()), before
    assert CLIENT_PAGE in before and "Service:FAQ Joomla" in before
    text = wiki.person.text(CLIENT_PAGE)
    assert "amarant-sla-2026" in text and HUMAN_BEGIN in text and "[[Category:SLA Hub]]" in text
    results = [
        page.result
        for subject in docdata.all_subjects()
        for page in documentation.collect(subject)["mediawiki"]
    ]
    assert set(results) == {"unchanged"}
    assert revisions(wiki) == before
    kept = db.session.scalars(select(DocPage)).all()
    assert {row.title for row in kept} == set(before)
    assert all(row.url.startswith(wiki.url) for row in kept)


def test_a_contract_change_edits_exactly_the_client_page_with_a_summary(synced, wiki):
    before = revisions(wiki)
    change_contract(hours_card=64)
    deliver(synced)
    after = revisions(wiki)
    assert {t for t in after if after[t] != before[t]} == {CLIENT_PAGE}
    result = wiki.person.site.get(
        "query", prop="revisions", titles=CLIENT_PAGE, rvprop="comment", rvlimit=1
    )
    [page] = result["query"]["pages"].values()
    assert page["revisions"][0]["comment"] == "contract amarant-sla-2026 changed"


def test_the_human_section_survives_regeneration(synced, wiki):
    text = wiki.person.text(CLIENT_PAGE)
    mine = "Ask Jan at the helpdesk first; he knows the intranet's history."
    wiki.person.edit(CLIENT_PAGE, text.replace(HUMAN_END, f"{mine}\n{HUMAN_END}"))
    change_contract(hours_card=70)
    deliver(synced)
    text = wiki.person.text(CLIENT_PAGE)
    assert mine in text and "70" in text


def test_a_persons_edit_while_the_hub_writes_is_read_again_not_overwritten(
    synced, wiki, monkeypatch
):
    """The person's edit touches the line the hub changes too (MediaWiki merges edits of
    different lines itself): a real conflict, so the hub must read the page again."""
    mine = "Written while the hub was regenerating the page."
    real_merge = render.merge
    seen = []

    def person_edits_first(generated: str, current: str | None) -> str:
        seen.append(current)
        if len(seen) == 1:  # between the hub's read and its save
            hours = next(line for line in current.splitlines() if "80.00" in line)
            text = current.replace(hours, hours + " (checked by Jan)")
            wiki.person.edit(CLIENT_PAGE, text.replace(HUMAN_END, f"{mine}\n{HUMAN_END}"))
        return real_merge(generated, current)

    change_contract(hours_card=80)  # the page shows 80.00 hours before the next change
    deliver(synced)
    monkeypatch.setattr(render, "merge", person_edits_first)
    change_contract(hours_card=85)
    deliver(synced)
    assert len(seen) == 2 and mine in seen[1]  # the conflict made the hub read again
    text = wiki.person.text(CLIENT_PAGE)
    assert mine in text and "85.00" in text  # the person's notes kept, the hub's part new


def test_a_wiki_that_is_down_makes_deliveries_wait_then_succeed(synced, wiki):
    wiki.stop()
    change_contract(hours_card=90)
    drain_once(synced, "wiki-test")  # one try while it is down (no backoff in the tests)
    row = db.session.scalar(
        select(OutboxDelivery).where(OutboxDelivery.hook == documentation.HOOK)
        .order_by(OutboxDelivery.id.desc())
    )  # fmt: skip
    assert row.state == "pending" and row.attempts >= 1 and "WikiUnavailable" in row.last_error
    wiki.start()
    deliver(synced)
    db.session.refresh(row)
    assert row.state == "done"
    assert "90" in wiki.person.text(CLIENT_PAGE)


def test_a_protected_page_is_reported_and_not_retried(synced, wiki):
    wiki.person.protect(CLIENT_PAGE)
    change_contract(hours_card=95)
    deliver(synced)
    row = db.session.scalar(
        select(OutboxDelivery).where(OutboxDelivery.hook == documentation.HOOK)
        .order_by(OutboxDelivery.id.desc())
    )  # fmt: skip
    assert (row.state, row.attempts) == ("dead", 1)
    assert "WikiPermissionError" in row.last_error or "WikiRefused" in row.last_error
    db.session.commit()
    health = plugins.mediawiki.hub_report_health()
    assert not health.ok and "refused" in health.detail


def test_wiki_sync_dry_run_prints_what_would_change_and_writes_nothing(synced, wiki):
    before = revisions(wiki)
    contract = db.session.scalar(select(Contract).where(Contract.reference == "amarant-sla-2026"))
    contract.hours_card = 12  # changed behind the documentation's back: no request queued
    db.session.commit()
    runner = synced.test_cli_runner()
    out = runner.invoke(main, ["wiki", "sync", "--client", "amarant", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert f"would edit    {CLIENT_PAGE}" in out.output
    assert "+" in out.output and "12" in out.output and "(dry run)" in out.output
    assert revisions(wiki) == before
    out = runner.invoke(main, ["wiki", "sync", "--client", "amarant"])
    assert out.exit_code == 0, out.output
    assert f"edited        {CLIENT_PAGE}" in out.output


def test_a_call_marked_worth_documenting_gets_a_knowledge_article(synced, wiki):
    from hub import calls

    call = calls.create(actor="t", source="t", client="amarant", title="Login loops")
    calls.add_time(call, actor="t", person="anja", minutes=45)
    for step in ("acknowledged", "resolved"):
        calls.transition(call, step, actor="t")
    documentation.mark_documented(
        call, actor="user:anja", cause="a stale session cookie", resolution="fixed its path"
    )
    db.session.commit()
    deliver(synced)
    title = f"Service:Knowledge/Call {call.id}: Login loops"
    text = wiki.person.text(title)
    assert text is not None, title
    assert "a stale session cookie" in text and "fixed its path" in text and "45" in text
    [page] = db.session.scalars(select(DocPage).where(DocPage.kind == "call")).all()
    assert (page.title, page.result, page.client_key) == (title, "created", "amarant")
