"""Applying what an outside system reports (hub.inbound.apply) and keeping polled events
(hub.inbound.store): lines, notes seen once, who did it, the client's hours verdict."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest
from sqlalchemy import func, select

from hub import calls, inbound, lifecycle
from hub.db import db, utcnow
from hub.errors import Invalid
from hub.hooktypes import CallUpdate, ExternalRef, NewCall, WebhookRejected
from hub.models import CallEvent, CallLink, InboundEvent

REF = ExternalRef("acme", "A-1")


@pytest.fixture
def call(ctx):  # noqa: ANN201
    made = calls.create(actor="t", source="acme", client="amarant", title="Menu", links=(REF,))
    db.session.commit()
    return made


def kinds(call) -> list[tuple[str, str]]:  # noqa: ANN001
    db.session.expire(call)
    return [(e.kind, e.actor) for e in call.events]


def test_a_line_change_and_the_outside_actor_reach_the_history(call):
    inbound.apply(CallUpdate(REF, line="2-application", actor="Dev Eloper"), "webhook:acme", "acme")
    db.session.commit()
    assert call.line == "2-application"
    assert ("changed", "webhook:acme (Dev Eloper)") in kinds(call)
    # Back down to the first line (a developer handed it back): a change, no escalation.
    inbound.apply(CallUpdate(REF, line="1-general"), "webhook:acme", "acme")
    db.session.commit()
    assert call.line == "1-general" and kinds(call)[-1] == ("changed", "webhook:acme")


def test_a_note_with_its_own_ref_is_added_once(call):
    note = CallUpdate(REF, note="Rebooted web01", note_ref=ExternalRef("acme-note", "7"))
    for _ in range(2):  # re-delivered, re-polled
        inbound.apply(note, "webhook:acme", "acme")
        db.session.commit()
    notes = [e.note for e in call.events if e.kind == "note"]
    assert notes == ["Rebooted web01"]
    assert calls.find_by_ref(ExternalRef("acme-note", "7")) is call


def test_a_note_the_hub_wrote_itself_is_not_read_back(call):
    calls.add_links(call, [ExternalRef("acme-note", "8")], actor="plugin:acme")  # the hub's own
    db.session.commit()
    inbound.apply(
        CallUpdate(REF, note="From the hub", note_ref=ExternalRef("acme-note", "8")), "w", "acme"
    )
    db.session.commit()
    assert not [e for e in call.events if e.kind == "note"]


def test_a_note_that_comes_with_a_status_change_is_kept_on_it(call):
    update = CallUpdate(REF, status="acknowledged", note="Seen", note_ref=ExternalRef("n", "1"))
    inbound.apply(update, "webhook:acme", "acme")
    db.session.commit()
    status = [e for e in call.events if e.kind == "status"][-1]
    assert (call.status, status.note) == ("acknowledged", "Seen")


def test_the_clients_hours_verdict_is_recorded_with_its_feedback(call):
    update = CallUpdate(REF, hours="disputed", feedback="Two hours for a menu item?")
    inbound.apply(update, "webhook:acme", "acme")
    db.session.commit()
    event = call.events[-1]
    assert (event.kind, event.data, event.note) == (
        "hours",
        {"verdict": "disputed"},
        "Two hours for a menu item?",
    )
    for verdict in ("disputed", "approved", "approved"):  # said again: recorded once
        inbound.apply(CallUpdate(REF, hours=verdict, feedback="OK now"), "webhook:acme", "acme")
    db.session.commit()
    verdicts = [(e.data["verdict"], e.note) for e in call.events if e.kind == "hours"]
    assert verdicts == [
        ("disputed", "Two hours for a menu item?"),
        ("disputed", "OK now"),
        ("approved", "OK now"),
    ]
    with pytest.raises(Invalid, match="hours"):
        inbound.apply(CallUpdate(REF, hours="maybe"), "webhook:acme", "acme")


def test_a_new_call_counts_as_opened_when_the_source_says_if_that_was_earlier(ctx):
    arrived = utcnow()
    earlier = (arrived - timedelta(minutes=42)).astimezone(timezone_minus_four())
    made = inbound.apply(
        NewCall(client="amarant", title="Polled", opened_at=earlier.isoformat(),
                links=(ExternalRef("acme", "P-1"),)),
        "webhook:acme", "acme", arrived,
    )  # fmt: skip
    assert made.created_at == earlier.astimezone(UTC).replace(microsecond=earlier.microsecond)
    later = inbound.apply(
        NewCall(client="amarant", title="Clock skew", opened_at=(arrived + timedelta(hours=1))
                .isoformat(), links=(ExternalRef("acme", "P-2"),)),
        "webhook:acme", "acme", arrived,
    )  # fmt: skip
    assert later.created_at == arrived  # never opened in the future


@pytest.mark.parametrize("opened_at", ["yesterday", "2026-12-01T10:00:00"])
def test_an_opening_time_that_is_no_instant_is_refused(ctx, opened_at):
    with pytest.raises(WebhookRejected, match="opened_at"):
        inbound.apply(NewCall(client="amarant", title="x", opened_at=opened_at), "w", "acme")


def test_a_stored_poll_is_kept_once_and_applied_by_the_inbound_job(ctx):
    body = b'{"type": "call.create", "client": "amarant", "title": "Polled", "ref": "Q-1"}'
    assert inbound.store("monitoring", "poll:Q-1:1", body) is True
    assert inbound.store("monitoring", "poll:Q-1:1", body) is False
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(InboundEvent)) == 1
    assert inbound.drain() == 1
    assert calls.find_by_ref(ExternalRef("monitoring", "Q-1")).title == "Polled"
    events = db.session.scalars(select(CallEvent).where(CallEvent.kind == "created")).all()
    assert events[-1].actor == "webhook:monitoring"


def test_a_drain_ends_well_before_the_jobs_lease_would_run_out(ctx, app):
    # The lease is not renewed while the job runs: a drain that outlived it let a second
    # worker drain beside it (benchmarks/soak.py). It stops after a quarter of the lease.
    for n in range(200):
        body = f'{{"type": "call.create", "client": "amarant", "title": "T{n}", "ref": "D-{n}"}}'
        inbound.store("monitoring", f"poll:D-{n}:1", body.encode())
    db.session.commit()
    app.config["OUTBOX_LEASE_SECONDS"] = 0.2  # a drain may run 0.05 s
    first = inbound.drain(limit=1000)
    assert 1 <= first < 200
    app.config["OUTBOX_LEASE_SECONDS"] = 300
    assert first + inbound.drain(limit=1000) == 200
    made = select(func.count()).select_from(CallLink).where(CallLink.key.like("D-%"))
    assert db.session.scalar(made) == 200  # each event applied once


def timezone_minus_four() -> timezone:
    return timezone(timedelta(hours=-4))  # a server's own offset, as MantisBT gives dates


def test_an_outside_jump_follows_the_allowed_moves_with_the_note_on_the_last(call):
    inbound.apply(CallUpdate(REF, status="resolved", note="Fixed"), "webhook:acme", "acme")
    db.session.commit()
    moves = [(e.data["status"]["to"], e.note) for e in call.events if e.kind == "status"]
    assert moves == [("acknowledged", None), ("resolved", "Fixed")]
    inbound.apply(CallUpdate(REF, status="in_progress"), "webhook:acme", "acme")  # reopened
    db.session.commit()
    assert call.status == "in_progress"
    assert [e.data["status"]["to"] for e in call.events if e.kind == "status"][-2:] == [
        "reopened",
        "in_progress",
    ]


def test_a_status_the_hub_cannot_go_back_to_keeps_the_note_only(call):
    calls.transition(call, "acknowledged", actor="t")
    inbound.apply(CallUpdate(REF, status="new", note="Still new here"), "webhook:acme", "acme")
    db.session.commit()
    assert call.status == "acknowledged"
    assert call.events[-1].kind == "note" and call.events[-1].note == "Still new here"
    with pytest.raises(Invalid, match="unknown status 'frozen'"):
        inbound.apply(CallUpdate(REF, status="frozen"), "webhook:acme", "acme")


def test_path_finds_the_fewest_moves():
    assert lifecycle.path("new", "new") == []
    assert lifecycle.path("new", "closed") == ["acknowledged", "resolved", "closed"]
    assert lifecycle.path("closed", "waiting_for_client") == ["reopened", "waiting_for_client"]
    assert lifecycle.path("in_progress", "new") is None
