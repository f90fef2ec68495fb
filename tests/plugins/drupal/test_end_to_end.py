"""The Drupal plugin through the hub: the worker's ``site_checks`` job checks the
application's real (fake) site over HTTP with feeds from a local updates.drupal.org; a
careless site opens one incident and puts a certification at risk, a hardened one
opens nothing; ``slahub sites check`` guards a pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import certification, sitechecks
from hub.cli import main
from hub.db import db, utcnow
from hub.models import Application, Call, Certification
from tests.plugins.drupal.fixtures.feedserver import FeedServer
from tests.support.fake_drupal import serve
from tests.support.fake_drupal_sites import careless, hardened
from tests.support.fake_drupal_tls import certificates

APP = "amarant-intranet"


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def config_extra(feeds: FeedServer) -> dict:
    return {
        "ENABLED_PLUGINS": ["drupal"],
        "PLUGINS": {"drupal": {"release_history_url": feeds.release_history_url,
                               "psa_url": feeds.psa_url, "workers": 4, "timeout": 2,
                               "ca_bundle": str(certificates().ca)}},
    }  # fmt: skip


def point_at(url: str) -> Application:
    app = db.session.scalar(select(Application).where(Application.key == APP))
    app.url = url
    db.session.commit()
    return app


def incidents() -> list[Call]:
    return db.session.scalars(select(Call).where(Call.source == "sitecheck")).all()


def test_a_careless_site_opens_one_incident_and_puts_certification_at_risk(ctx, feeds):
    with serve(careless()) as site:
        app = point_at(site.url)
        db.session.add(Certification(application_id=app.id, certified=True, reasons=[],
                                     items={}, decided_by="user:bas"))  # fmt: skip
        db.session.commit()
        assert sitechecks.run_due() == 1
        run = sitechecks.last_run(app.id)
        assert "update_php.locked" in run.critical and "files.sensitive" in run.critical
        [call] = incidents()
        assert call.priority == "P1" and call.application.key == APP
        assert "update_php.locked" in call.description
        assert certification.state(app)["state"] == "certification at risk"
        assert sitechecks.run_due() == 0  # not due again until its interval has passed
        assert sitechecks.run_due(utcnow() + timedelta(days=1, minutes=1)) == 1
        assert len(incidents()) == 1  # still failing: the same call, no duplicate
    assert feeds.requests["/psa.json"] == 1  # one fetch for both runs (then a 304 at most)


def test_a_hardened_site_passes_and_opens_nothing(ctx):
    with serve(hardened(), tls=certificates().valid) as site:
        app = point_at(site.url)
        assert sitechecks.run_due() == 1
    run = sitechecks.last_run(app.id)
    assert run.critical == [] and incidents() == []
    verdicts = {r.check: r.verdict for r in run.results}
    assert verdicts["drupal.detected"] == "pass" and verdicts["update_php.locked"] == "pass"


def test_slahub_sites_check_fails_the_pipeline_on_a_careless_site(ctx):
    with serve(careless()) as site:
        point_at(site.url)
        out = ctx.test_cli_runner().invoke(main, ["sites", "check", APP])
    assert out.exit_code == 1, out.output
    assert "FAIL  critical update_php.locked" in out.output
