"""``/metrics``: Prometheus text checked against rows the hub made through its own code
paths (signed webhooks, the worker's inbound and outbox rounds, the scheduler, the SLA
sweep, site-check reports), and its protection by network and token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text

from hub import calls, create_app, inbound, scheduler, sitechecks
from hub.db import db, utcnow
from hub.hooktypes import CheckResult, Job, SiteReport
from hub.models import Clock, InboundEvent, OutboxDelivery, ScheduledJob
from hub.sla import sweep
from hub.worker import drain_once
from tests.conftest import base_config
from tests.test_webhooks import CREATE, post

WORKER = "metrics-test"
RECORDER = "tests.support.recorder"


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:  # noqa: ANN001,ANN003
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples: dict, name: str, label: str) -> set[str]:
    return {dict(k)[label] for (n, k) in samples if n == name and label in dict(k)}


def test_webhooks_inbound_and_outbox_as_the_worker_leaves_them(app, client, demo):
    before = scrape(client)
    assert post(client, CREATE, delivery="m-1").status_code == 202
    assert post(client, CREATE, delivery="m-1").status_code == 200
    assert post(client, CREATE, delivery="m-2", secret="wrong").status_code in (401, 403)
    assert post(client, {**CREATE, "priority": "P9"}, delivery="m-3").status_code in (400, 422)
    assert post(client, CREATE, delivery="m-4", source="nobody").status_code == 404
    with app.app_context():
        assert inbound.drain() == 1
        while drain_once(app, WORKER):
            pass
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    webhooks = "hub_webhook_requests_total"
    assert delta(webhooks, source="monitoring", outcome="accepted") == 1
    assert delta(webhooks, source="monitoring", outcome="duplicate") == 1
    assert delta(webhooks, source="monitoring", outcome="refused_auth") == 1
    assert delta(webhooks, source="monitoring", outcome="refused_payload") == 1
    assert delta(webhooks, source="(unknown)", outcome="unknown_source") == 1
    assert "nobody" not in labelled(after, webhooks, "source")

    route = "/webhooks/<source>"
    requests = "hub_http_requests_total"
    assert delta(requests, route=route, method="POST", status="202") == 1
    assert delta(requests, route=route, method="POST", status="200") == 1
    assert delta("hub_http_request_duration_seconds_count", route=route, method="POST") == 5
    routes = labelled(after, requests, "route")
    assert "/metrics" in routes and not any("monitoring" in r for r in routes)

    with app.app_context():
        events = db.session.execute(
            select(InboundEvent.source, InboundEvent.status, func.count()).group_by(
                InboundEvent.source, InboundEvent.status
            )
        ).all()
        done = db.session.scalars(
            select(OutboxDelivery).where(
                OutboxDelivery.plugin == RECORDER, OutboxDelivery.state == "done"
            )
        ).all()
        states = db.session.execute(
            select(OutboxDelivery.plugin, OutboxDelivery.state, func.count()).group_by(
                OutboxDelivery.plugin, OutboxDelivery.state
            )
        ).all()
    assert events == [("monitoring", "processed", 1)]
    assert value(after, "hub_inbound_events", source="monitoring", status="processed") == 1
    for plugin, state, n in states:
        assert value(after, "hub_outbox_deliveries", plugin=plugin, state=state) == n
    assert value(after, "hub_outbox_due", plugin=RECORDER) == 0

    recent = [d for d in done if d.delivered_at >= utcnow() - timedelta(hours=1)]
    assert recent, "the worker delivered the new call's deliveries just now"
    latency = "hub_outbox_delivery_latency_seconds"
    assert value(after, f"{latency}_gcount", plugin=RECORDER) == len(recent)
    assert value(after, f"{latency}_bucket", plugin=RECORDER, le="+Inf") == len(recent)
    seconds = [(d.delivered_at - d.created_at).total_seconds() for d in recent]
    assert value(after, f"{latency}_gsum", plugin=RECORDER) == pytest.approx(sum(seconds), abs=0.01)
    within_60 = sum(1 for s in seconds if s <= 60.0)
    assert value(after, f"{latency}_bucket", plugin=RECORDER, le="60.0") == within_60
    assert all(v == 0 for (n, _), v in after.items() if n == "hub_metrics_query_errors")


def test_jobs_last_duration_and_time_since_finish(app, client):
    job = Job(name="metrics-probe", interval=60, run=lambda: time.sleep(0.05))
    with app.app_context():
        scheduler.ensure_rows([job])
        assert scheduler.run_due([job], WORKER, 60).ran == 1
        row = db.session.get(ScheduledJob, "metrics-probe")
        took = (row.last_finished_at - row.last_started_at).total_seconds()
        finished = row.last_finished_at
    samples = scrape(client)
    assert took >= 0.05
    assert value(samples, "hub_job_last_duration_seconds", job="metrics-probe") == pytest.approx(
        took, abs=0.001
    )
    since = value(samples, "hub_job_seconds_since_finish", job="metrics-probe")
    assert 0 <= since <= (utcnow() - finished).total_seconds()
    assert value(samples, "hub_job_running", job="metrics-probe") == 0
    assert value(samples, "hub_job_last_failed", job="metrics-probe") == 0


def open_clocks(samples: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for (name, labels), v in samples.items():
        if name == "hub_clocks_open":
            state = dict(labels)["state"]
            out[state] = out.get(state, 0) + v
    return out


def test_clocks_warned_and_breached_as_the_sweep_records_them(app, client, demo):
    with app.app_context():
        call = calls.create(actor="t", source="t", client="amarant", title="Down", priority="P1")
        db.session.commit()
        call_id = call.id
        running = db.session.scalars(select(Clock).where(Clock.stopped_at.is_(None))).all()
        first_alert = min(c.next_alert_at for c in running if c.next_alert_at is not None)
        closed = db.session.scalar(
            select(func.count())
            .select_from(Clock)
            .where(Clock.outcome == "breached", Clock.stopped_at.is_not(None))
        )
    n = len(running)
    before = open_clocks(scrape(client))
    assert sum(before.values()) == n and before.get("warned", 0) == 0
    with app.app_context():
        assert sweep.run(now=first_alert) >= 1  # the earliest warning fires
    warned = open_clocks(scrape(client))
    assert warned.get("warned", 0) >= 1 and sum(warned.values()) == n
    with app.app_context():
        sweep.run(now=utcnow() + timedelta(days=60))
        while sweep.run(now=utcnow() + timedelta(days=60)):
            pass
        calls.transition(calls.get_call(call_id), "acknowledged", actor="t")
        db.session.commit()
        still = db.session.scalar(
            select(func.count()).select_from(Clock).where(Clock.stopped_at.is_(None))
        )
        closed_now = db.session.scalar(
            select(func.count())
            .select_from(Clock)
            .where(Clock.outcome == "breached", Clock.stopped_at.is_not(None))
        )
    samples = scrape(client)
    assert open_clocks(samples) == {"breached": still}
    total_closed = sum(v for (nm, lb), v in samples.items() if nm == "hub_clocks_closed"
                       and dict(lb)["outcome"] == "breached")  # fmt: skip
    assert total_closed == closed_now > closed


def report(key: str, when: str, verdicts: dict[str, tuple[str, str]]) -> SiteReport:
    results = tuple(
        CheckResult(id=cid, title=cid, severity=sev, verdict=v)
        for cid, (sev, v) in verdicts.items()
    )
    return SiteReport(key=key, url="https://intranet.example", checked_at=when, results=results)


def test_site_checks_count_each_applications_newest_run(app, client, demo):
    with app.app_context():
        old = (utcnow() - timedelta(hours=2)).isoformat()
        now = utcnow().isoformat()
        sitechecks.record(report("amarant-intranet", old, {
            "reachable": ("critical", "fail"), "https.hsts": ("medium", "fail"),
        }))  # fmt: skip
        db.session.commit()
        sitechecks.record(report("amarant-intranet", now, {
            "reachable": ("critical", "pass"), "https.hsts": ("medium", "fail"),
            "headers.hardening": ("low", "warn"),
        }))  # fmt: skip
        db.session.commit()
    samples = scrape(client)
    results = "hub_site_check_results"
    assert value(samples, results, severity="critical", verdict="pass") == 1
    assert value(samples, results, severity="critical", verdict="fail") == 0
    assert value(samples, results, severity="medium", verdict="fail") == 1
    assert value(samples, results, severity="low", verdict="warn") == 1
    assert value(samples, "hub_site_check_critical_applications") == 0


def test_a_failing_query_is_reported_and_the_rest_still_scraped(app, client, caplog):
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE scheduled_jobs RENAME TO scheduled_jobs_away"))
    try:
        samples = scrape(client)
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE scheduled_jobs_away RENAME TO scheduled_jobs"))
    assert value(samples, "hub_metrics_query_errors", query="jobs") == 1
    assert value(samples, "hub_metrics_query_errors", query="outbox") == 0
    assert ("hub_metrics_query_errors", frozenset({("query", "sites")})) in samples
    assert any("the jobs query failed" in r.getMessage() for r in caplog.records)


def test_only_allowed_networks_may_read(app, client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert outside.status_code == 403
    assert "192.0.2.7 is not in METRICS_ALLOW" in outside.get_data(as_text=True)


def test_a_token_is_asked_when_set(app, client):
    app.config["METRICS_TOKEN"] = "metrics-token-123"
    none = client.get("/metrics")
    assert none.status_code == 401 and "bearer token is required" in none.get_data(as_text=True)
    assert none.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "wrong" in wrong.get_data(as_text=True)
    good = {"Authorization": "Bearer metrics-token-123"}
    assert client.get("/metrics", headers=good).status_code == 200
    far = client.get("/metrics", headers=good, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert far.status_code == 403, "both apply when both are set"


def test_an_empty_allow_list_with_a_token_answers_any_network(tmp_path, record_file):
    config = base_config(f"sqlite:///{tmp_path}/h.db", METRICS_ALLOW=[], METRICS_TOKEN="t0k")
    client = create_app(config).test_client()
    far = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/metrics", environ_base=far).status_code == 401
    ok = client.get("/metrics", environ_base=far, headers={"Authorization": "Bearer t0k"})
    assert ok.status_code == 200


def test_a_bad_network_setting_stops_start_up(tmp_path, record_file):
    config = base_config(f"sqlite:///{tmp_path}/h.db", METRICS_ALLOW=["10.0.0.0/33"])
    with pytest.raises(ValueError, match="METRICS_ALLOW: '10.0.0.0/33' is not a network"):
        create_app(config)


MULTIPROCESS = """
import os, sys
from hub import create_app
from tests.conftest import base_config
client = create_app(base_config(sys.argv[1])).test_client()
children = []
for _ in range(2):  # as gunicorn does: processes forked from the app the master built
    pid = os.fork()
    if pid == 0:
        client.get("/healthz")
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_adds_up_every_processs_requests(tmp_path, record_file):
    """With PROMETHEUS_MULTIPROC_DIR set before start, a scrape in one process counts the
    requests its sibling processes answered (a fresh interpreter: the library reads the
    variable at import)."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "HUB_LOG_LEVEL": "ERROR"}
    url = f"sqlite:///{tmp_path}/hub.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS, url],
        env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    samples = {}
    for family in text_string_to_metric_families(done.stdout):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    assert value(samples, "hub_http_requests_total", **healthz) == 2
    assert len(list(folder.glob("counter_*.db"))) == 3
