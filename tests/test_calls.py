"""The call lifecycle service: every transition allowed and refused, history, hooks queued."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub import calls
from hub.db import db
from hub.errors import Conflict, Invalid
from hub.models import CallEvent, OutboxDelivery
from hub.vocab import STATUSES

#: The test plugin that records every hook (tests.support.recorder).
RECORDER = "tests.support.recorder"

#: A path from new to each status, through allowed moves only.
PATHS = {
    "new": [],
    "acknowledged": ["acknowledged"],
    "in_progress": ["acknowledged", "in_progress"],
    "waiting_for_client": ["acknowledged", "in_progress", "waiting_for_client"],
    "resolved": ["acknowledged", "resolved"],
    "closed": ["acknowledged", "resolved", "closed"],
    "reopened": ["acknowledged", "resolved", "reopened"],
}
EXPECTED = {
    "new": {"acknowledged"},
    "acknowledged": {"in_progress", "waiting_for_client", "resolved"},
    "in_progress": {"waiting_for_client", "resolved"},
    "waiting_for_client": {"in_progress", "resolved"},
    "resolved": {"closed", "reopened"},
    "closed": {"reopened"},
    "reopened": {"in_progress", "waiting_for_client", "resolved"},
}


def new_call(**kw):  # noqa: ANN003,ANN201
    fields = dict(actor="test", source="test", client="amarant", title="Menu broken")
    return calls.create(**{**fields, **kw})


def call_in(status: str):  # noqa: ANN201
    call = new_call()
    for step in PATHS[status]:
        calls.transition(call, step, actor="test")
    db.session.commit()
    return call


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def test_transition_table_is_the_documented_one():
    assert {k: set(v) for k, v in calls.TRANSITIONS.items()} == EXPECTED
    assert set(calls.TRANSITIONS) == set(STATUSES)


@pytest.mark.parametrize(
    ("start", "to"),
    [(s, t) for s in STATUSES for t in STATUSES if t in EXPECTED[s]],
)
def test_allowed_transition(ctx, start, to):
    call = call_in(start)
    events_before = count(CallEvent)
    calls.transition(call, to, actor="user:bas", note="moving on")
    db.session.commit()
    assert call.status == to
    event = db.session.scalars(select(CallEvent).order_by(CallEvent.id.desc())).first()
    assert (event.kind, event.actor, event.note) == ("status", "user:bas", "moving on")
    assert event.data == {"status": {"from": start, "to": to}}
    assert count(CallEvent) == events_before + 1


@pytest.mark.parametrize(
    ("start", "to"),
    [(s, t) for s in STATUSES for t in STATUSES if t not in EXPECTED[s]],
)
def test_refused_transition_names_the_allowed_ones(ctx, start, to):
    call = call_in(start)
    events_before, deliveries_before = count(CallEvent), count(OutboxDelivery)
    with pytest.raises(Conflict) as refused:
        calls.transition(call, to, actor="test")
    db.session.rollback()
    assert refused.value.status == 409
    assert sorted(refused.value.extra["allowed"]) == sorted(EXPECTED[start])
    assert f"from {start} to {to}" in refused.value.message
    assert db.session.get(type(call), call.id).status == start
    assert (count(CallEvent), count(OutboxDelivery)) == (events_before, deliveries_before)


def test_unknown_status_is_invalid(ctx):
    call = call_in("new")
    with pytest.raises(Invalid, match="unknown status 'done'"):
        calls.transition(call, "done", actor="test")


def test_timestamps_follow_the_lifecycle(ctx):
    call = call_in("closed")
    assert call.acknowledged_at <= call.resolved_at <= call.closed_at
    first_response = call.acknowledged_at
    calls.transition(call, "reopened", actor="client")
    assert call.resolved_at is None and call.closed_at is None
    calls.transition(call, "resolved", actor="test")
    assert call.acknowledged_at == first_response  # the first response is not rewritten


def test_every_change_writes_history_and_queues_hooks_in_one_transaction(ctx):
    before = count(OutboxDelivery)
    call = new_call(priority="P2")
    calls.transition(call, "acknowledged", actor="a")
    calls.update(call, actor="a", priority="P1", assignee="anja")
    calls.add_note(call, actor="a", note="called the client")
    calls.add_time(call, actor="a", person="anja", minutes=20)
    calls.transition(call, "resolved", actor="a")
    db.session.rollback()  # nothing of it may survive
    assert count(OutboxDelivery) == before
    call = new_call(priority="P2")
    calls.transition(call, "acknowledged", actor="a")
    calls.transition(call, "resolved", actor="a")
    db.session.commit()
    kinds = [e.kind for e in call.events]
    assert kinds == ["created", "status", "status"]
    hooks = db.session.scalars(
        select(OutboxDelivery.hook)
        .where(OutboxDelivery.call_id == call.id)
        .order_by(OutboxDelivery.id)
    ).all()
    assert hooks == [
        "hub_call_created",
        "hub_call_changed",
        "hub_call_changed",
        "hub_call_resolved",
    ]


def test_update_records_only_real_changes(ctx):
    call = call_in("acknowledged")
    n = count(CallEvent)
    calls.update(call, actor="a", priority=call.priority)
    assert count(CallEvent) == n
    calls.update(call, actor="a", priority="P1", line="2-application", assignee="anja")
    db.session.commit()
    event, escalated = call.events[-2:]
    assert (escalated.kind, escalated.data["kind"], escalated.data["to_line"]) == (
        "escalated",
        "functional",
        "2-application",
    )
    assert event.data == {
        "priority": {"from": "P3", "to": "P1"},
        "line": {"from": "1-general", "to": "2-application"},
        "assignee": {"from": None, "to": "anja"},
    }
    hooks = db.session.scalars(
        select(OutboxDelivery.hook)
        .where(OutboxDelivery.call_id == call.id, OutboxDelivery.plugin == RECORDER)
        .order_by(OutboxDelivery.id.desc())
        .limit(2)
    ).all()
    assert hooks == ["hub_call_escalated", "hub_call_changed"]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"client": "nobody"}, "client"),
        ({"priority": "P0"}, "priority"),
        ({"category": "wish"}, "category"),
        ({"line": "4-moon"}, "line"),
        ({"application": "elsewhere"}, "application"),
        ({"assignee": "ghost"}, "assignee"),
        ({"title": "   "}, "title"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(ctx, kw, field):
    before = count(CallEvent), count(OutboxDelivery)
    with pytest.raises(Invalid) as bad:
        new_call(**kw)
    db.session.rollback()
    assert bad.value.field == field
    assert (count(CallEvent), count(OutboxDelivery)) == before


def test_call_gets_the_clients_current_contract(ctx):
    call = new_call()
    assert call.contract.reference == "amarant-sla-2026"


def test_escalations(ctx):
    call = call_in("in_progress")
    calls.escalate(call, actor="a", kind="functional", to_line="2-application", to_person="anja")
    assert (call.line, call.assignee.key) == ("2-application", "anja")
    with pytest.raises(Conflict, match="higher line"):
        calls.escalate(call, actor="a", kind="functional", to_line="1-product")
    with pytest.raises(Invalid, match="needs to_person"):
        calls.escalate(call, actor="a", kind="hierarchical")
    with pytest.raises(Invalid, match="unknown escalation kind"):
        calls.escalate(call, actor="a", kind="sideways", to_line="3-application")
    calls.escalate(call, actor="a", kind="hierarchical", to_person="bas", reason="client angry")
    db.session.commit()
    assert call.line == "2-application" and call.assignee.key == "anja"
    assert [e.kind for e in call.events][-2:] == ["escalated", "escalated"]


def test_time_entries(ctx):
    call = call_in("in_progress")
    entry = calls.add_time(call, actor="a", person="ronald", minutes=45, note="fix")
    db.session.commit()
    assert (entry.minutes, entry.person.key, call.events[-1].kind) == (45, "ronald", "time")
    for minutes in (0, -5, 24 * 60 + 1):
        with pytest.raises(Invalid, match="minutes"):
            calls.add_time(call, actor="a", person="ronald", minutes=minutes)
    with pytest.raises(Invalid, match="unknown person"):
        calls.add_time(call, actor="a", person="nobody", minutes=5)


def test_links_are_unique_across_calls(ctx):
    from hub.hooktypes import ExternalRef

    first = new_call(links=[ExternalRef("mantis", "17")])
    db.session.commit()
    with pytest.raises(Conflict, match="already linked to call"):
        new_call(links=[ExternalRef("mantis", "17")])
    db.session.rollback()
    assert calls.find_by_ref(ExternalRef("mantis", "17")).id == first.id


def test_a_hierarchical_escalation_never_moves_a_call_down(ctx):
    call = call_in("in_progress")
    calls.update(call, actor="a", line="2-platform")
    with pytest.raises(Conflict, match="higher line"):
        calls.escalate(call, actor="a", kind="hierarchical", to_person="bas", to_line="1-general")
    calls.escalate(call, actor="a", kind="hierarchical", to_person="bas", to_line="3-application")
    assert call.line == "3-application"
