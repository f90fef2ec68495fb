"""A test plugin for the plumbing hooks: routes, settings, health, jobs, webhooks, docs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flask import Blueprint, jsonify

from hub import hookimpl
from hub.hooktypes import (
    ExternalRef,
    Health,
    Job,
    NewCall,
    Page,
    RawRequest,
    Setting,
    WebhookRejected,
)

__version__ = "1.2.3"

bp = Blueprint("extras", __name__, url_prefix="/extras")


@bp.get("/hello")
def hello():  # noqa: ANN201
    return jsonify(hello="from a plugin")


@hookimpl
def hub_register_routes() -> list[Blueprint]:
    return [bp]


@hookimpl
def hub_register_settings() -> list[Setting]:
    return [
        Setting("url", default="https://tracker.example", description="where the tracker is"),
        Setting("token", secret=True, description="API token"),
    ]


@hookimpl
def hub_report_health() -> Health:
    if os.environ.get("HUB_TEST_EXTRAS_BROKEN"):
        raise RuntimeError("cannot read own state")
    return Health(ok=False, version=__version__, detail="tracker answered 503 at 10:00")


def _tick() -> None:
    with Path(os.environ["HUB_TEST_RECORD_FILE"]).open("a") as fh:
        fh.write(json.dumps({"job": "extras-tick"}) + "\n")


@hookimpl
def hub_register_jobs() -> list[Job]:
    return [Job(name="extras-tick", interval=3600, run=_tick)]


class AcmeSource:
    """A source with its own (made-up) scheme: ``X-Acme-Token`` = sha1 of the body."""

    def verify(self, request: RawRequest) -> str:
        expected = hashlib.sha1(request.body).hexdigest()
        if request.headers.get("x-acme-token") != expected:
            raise WebhookRejected("bad X-Acme-Token", 403, "X-Acme-Token")
        return request.headers.get("x-acme-id", expected)

    def interpret(self, request: RawRequest) -> list[NewCall]:
        if os.environ.get("HUB_TEST_ACME_BROKEN"):
            raise ConnectionError("lookup service down")
        data = json.loads(request.body)
        return [
            NewCall(
                client=data["customer"],
                title=data["subject"],
                priority="P2",
                links=(ExternalRef("acme", data["id"]),),
            )
        ]


@hookimpl
def hub_get_webhook_handler(source: str) -> AcmeSource | None:
    return AcmeSource() if source == "acme" else None


@hookimpl
def hub_documentation_requested(subject) -> list[Page]:  # noqa: ANN001
    if subject.kind != "client":
        return []
    return [
        Page(
            title=f"Client:{subject.key}",
            text=f"Service page of {subject.data['client']['name']}",  # filled by the core
            summary=subject.reason,
            url=f"https://wiki.example/Client:{subject.key}",
            result="created",
        )
    ]


@hookimpl
def hub_report_site_checks(sites):  # noqa: ANN001,ANN201
    from hub.hooktypes import CheckResult, SiteReport

    return [
        SiteReport(
            key=site.key,
            url=site.url,
            checked_at="2026-12-01T10:00:00+00:00",
            results=(
                CheckResult(
                    "reachable",
                    "Site answers",
                    "critical",
                    "fail" if "broken" in site.url else "pass",
                    {"url": site.url, "status": 200},
                ),
            ),  # fmt: skip
        )
        for site in sites
    ]
