"""Dutch and English: the admin page per user, browser and hub; locale formats; the
catalogue complete and compiled; e-mail and wiki pages in the reader's language."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext
from sqlalchemy import select

from hub import auth, docdata, i18n
from hub.db import db
from hub.models import Call, Client, Contract, User
from plugins.mediawiki import render
from tests import test_mailer
from tests.conftest import bearer
from tests.sla.test_clocks import local
from tests.test_admin_login import csrf_from, log_in, user
from tests.test_mailer import PORT, drain_once, escalate_to_ronald

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "hub/translations/nl/LC_MESSAGES/messages.po"
#: The real SMTP test server of the mailer's tests (aiosmtpd on a local port).
inbox = test_mailer.inbox


def set_language(app, username: str | None = None, client: str | None = None,  # noqa: ANN001
                 language: str | None = None) -> None:  # fmt: skip
    with app.app_context():
        if username:
            db.session.scalar(select(User).where(User.username == username)).language = language
        if client:
            db.session.scalar(select(Client).where(Client.key == client)).language = language
        db.session.commit()


def pages(client, app) -> dict[str, str]:  # noqa: ANN001
    """The dashboard, a call and the hours card, as the logged-in user sees them."""
    with app.app_context():
        call_id = db.session.scalar(select(Call.id).order_by(Call.id))
        contract = db.session.scalar(select(Contract.reference).order_by(Contract.id))
    return {
        "dashboard": client.get("/").get_data(as_text=True),
        "call": client.get(f"/calls/{call_id}").get_data(as_text=True),
        "calls": client.get("/calls").get_data(as_text=True),
        "hours": client.get(f"/contracts/{contract}/hours").get_data(as_text=True),
    }


def test_a_user_with_dutch_reads_the_admin_page_in_dutch(client, app, demo):
    name, password = user(demo, "admin")
    set_language(app, username=name, language="nl")
    log_in(client, name, password)
    seen = pages(client, app)
    assert '<html lang="nl">' in seen["dashboard"]
    assert (
        "Tweede lijn, applicatie" in seen["dashboard"]
        and '<h2 id="duty">Dienst</h2>' in seen["dashboard"]
    )
    assert ">Meldingen</a>" in seen["dashboard"] and ">Uitloggen</button>" in seen["dashboard"]
    assert "<h1>Melding " in seen["call"] and "Geschiedenis" in seen["call"]
    assert "<h1>Meldingen</h1>" in seen["calls"] and " meldingen</p>" in seen["calls"]
    assert "<h1>Strippenkaart " in seen["hours"] and "Saldo" in seen["hours"]
    for page in seen.values():
        assert "Hours card" not in page and "Log out" not in page


def test_a_user_with_english_reads_english_whatever_the_browser(client, app, demo):
    name, password = user(demo, "admin")
    set_language(app, username=name, language="en")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-NL,nl;q=0.9"
    log_in(client, name, password)
    seen = pages(client, app)
    assert '<html lang="en">' in seen["dashboard"]
    assert "2nd line, application" in seen["dashboard"] and "On duty" in seen["dashboard"]
    assert "<h1>Hours card " in seen["hours"] and "Strippenkaart" not in seen["hours"]
    assert "Melding" not in seen["call"]


def test_without_a_choice_the_browser_then_the_hub_decides(client, app, demo):
    name, password = user(demo, "admin")
    log_in(client, name, password)
    assert "Tweede lijn" in client.get("/", headers={"Accept-Language": "nl"}).get_data(
        as_text=True
    )
    english = client.get("/", headers={"Accept-Language": "fr, de;q=0.5"}).get_data(as_text=True)
    assert "2nd line, application" in english  # nothing offered: DEFAULT_LANGUAGE
    login = client.get("/login", headers={"Accept-Language": "nl-BE"}).get_data(as_text=True)
    assert "<h1>Inloggen</h1>" in login and "Gebruikersnaam" in login


class TestAHubInDutch:
    @pytest.fixture
    def config_extra(self) -> dict:
        return {"DEFAULT_LANGUAGE": "nl"}

    def test_the_hubs_default_language_is_a_setting(self, client, app):
        page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
        assert "<h1>Inloggen</h1>" in page
        assert "<h1>Log in</h1>" in client.get("/login", headers={"Accept-Language": "en"}).text


def test_the_preference_form_saves_the_language(client, app, demo):
    name, password = user(demo, "associate")
    log_in(client, name, password)
    form = client.get("/preferences").get_data(as_text=True)
    answer = client.post("/preferences", data={"csrf_token": csrf_from(form), "language": "nl"})
    assert answer.status_code == 303
    page = client.get("/preferences").get_data(as_text=True)
    assert "Je taal is opgeslagen." in page and "<h1>Voorkeuren</h1>" in page
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == name)) == "nl"
    bad = client.post("/preferences", data={"csrf_token": csrf_from(page), "language": "xx"})
    assert bad.status_code == 422 and "taal: kies een van en, nl" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == name)) == "nl"
    unset = client.post("/preferences", data={"csrf_token": csrf_from(page), "language": ""})
    assert unset.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == name)) is None


@pytest.mark.parametrize(
    ("language", "money", "instant"),
    [("nl", "€ 1.234,50", "2 dec 2026 00:30"), ("en", "€1,234.50", "Dec 2, 2026 00:30")],
)
def test_money_and_times_follow_the_locale(app, language, money, instant):
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 the next day in Amsterdam
    with app.test_request_context(headers={"Accept-Language": language}):
        assert i18n.money(Decimal("1234.50")).replace("\xa0", " ") == money
        assert i18n.when(at) == instant
        assert i18n.money(None) == i18n.when(None) == "—"


def test_the_catalogue_translates_every_text_and_is_compiled(app):
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        msgid if isinstance(msgid, str) else msgid[0]
        # babel.cfg's own keywords (Field labels, menu entries) come with its options.
        for _file, _line, msgid, *_rest in extract_from_dir(str(ROOT), method_map, options_map)
    }
    with open(CATALOGUE, "rb") as po:
        catalogue = read_po(po)
    assert not catalogue.fuzzy
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]: m
        for m in catalogue
        if m.id
        and "fuzzy" not in m.flags
        and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    assert len(found) > 150 and {"Roster", "Clients", "Rounding unit (minutes)"} <= found
    assert sorted(found - set(translated)) == []
    assert (CATALOGUE.with_suffix(".mo")).exists()
    with app.test_request_context(), force_locale("nl"):
        assert gettext("Calls") == "Meldingen" and gettext("Hours card") == "Strippenkaart"


def test_a_dutch_client_gets_a_dutch_service_page(ctx):
    client = db.session.scalar(select(Client).where(Client.key == "amarant"))
    client.language = "nl"
    db.session.flush()
    subject = docdata.subject("client", "amarant", "test")
    assert subject.language == "nl"
    text = render.render(subject)
    assert "Servicepagina van '''Amarant'''" in text
    assert "! Strippenkaart\n" in text and "== Wie doet wat ==" in text
    assert "| Tweede lijn, applicatie || de associate die dienst heeft ||" in text
    assert "Hours card" not in text
    client.language = None
    db.session.flush()
    english = docdata.subject("client", "amarant", "test")
    assert english.language == "en" and "! Hours card\n" in render.render(english)


class TestMailInTheReadersLanguage:
    @pytest.fixture
    def config_extra(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": PORT, "SMTP_TIMEOUT": 2.0,
                "SMTP_FROM": "hub@example.org"}  # fmt: skip

    def mail(self, app, inbox) -> tuple[int, str, str]:  # noqa: ANN001
        """Escalate a call to Ronald and deliver it: the call, the subject and the body."""
        call_id = escalate_to_ronald(app)
        with app.app_context(), time_machine.travel(local(2026, 12, 1, 10, 0, 5), tick=False):
            while drain_once(app, "w1"):
                pass
        [(_sender, to, content)] = inbox.messages
        assert to == ["ronald@example.org"]
        mail = message_from_bytes(content, policy=policy.default)
        return call_id, mail["Subject"], mail.get_content()

    def test_a_dutch_clients_call_is_mailed_in_dutch(self, app, demo, inbox):
        set_language(app, client="amarant", language="nl")
        call_id, subject, body = self.mail(app, inbox)
        assert subject == f"[P3] Naar jou geëscaleerd: melding {call_id} Broken form"
        assert f"Melding {call_id}: Broken form" in body
        assert "lijn Derde lijn, applicatie" in body and "door user:anja" in body
        assert "needs a code change" in body  # the reason: the person's own words
        assert "Escalated" not in body and "Client amarant" not in body

    def test_a_hub_users_own_language_comes_first(self, app, demo, inbox):
        set_language(app, client="amarant", language="nl")
        with app.app_context():
            auth.create_user("ronald", "x" * 12, "associate", person="ronald")
            db.session.commit()
        set_language(app, username="ronald", language="en")
        call_id, subject, body = self.mail(app, inbox)
        assert subject == f"[P3] Escalated to you: call {call_id} Broken form"
        assert f"Call {call_id}: Broken form" in body and "Melding" not in body


def test_a_clients_language_through_the_api(client, app, demo):
    headers = bearer(demo["tokens"]["admin"])
    made = client.post("/api/v1/clients", json={"key": "beta", "name": "Beta", "language": "nl"},
                       headers=headers)  # fmt: skip
    assert made.status_code == 201 and made.json["language"] == "nl"
    renamed = client.patch("/api/v1/clients/beta", json={"name": "Beta BV"}, headers=headers)
    assert renamed.json["language"] == "nl"  # not named: kept
    bad = client.patch("/api/v1/clients/beta", json={"name": "B", "language": "fr"},
                       headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json["field"] == "language"
    assert "one of en, nl" in bad.json["error"]
    unset = client.patch("/api/v1/clients/beta", json={"name": "B", "language": None},
                         headers=headers)  # fmt: skip
    assert unset.status_code == 200 and unset.json["language"] is None
    with app.app_context():
        assert db.session.scalar(select(Client.language).where(Client.key == "beta")) is None


def test_a_clients_language_on_its_admin_form(client, app, demo):
    log_in(client, *user(demo, "sla_manager"))
    form = client.get("/clients/amarant/edit").get_data(as_text=True)
    assert 'name="language"' in form and ">Nederlands</option>" in form
    data = {"csrf_token": csrf_from(form), "name": "Amarant"}
    assert client.post("/clients/amarant/edit", data={**data, "language": "nl"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Client.language).where(Client.key == "amarant")) == "nl"
    bad = client.post("/clients/amarant/edit", data={**data, "language": "xx"})
    assert bad.status_code == 422 and "one of en, nl" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Client.language).where(Client.key == "amarant")) == "nl"


def test_create_user_takes_a_language(tmp_path):
    from tests.test_cli import slahub

    instance = tmp_path / "instance"
    slahub(instance, "db", "upgrade")
    slahub(instance, "create-user", "anja", "--role", "associate", "--language", "nl")
    with sqlite3.connect(instance / "hub.sqlite3") as con:
        assert con.execute("SELECT language FROM users WHERE username = 'anja'").fetchone() == (
            "nl",
        )
    refused = slahub(instance, "create-user", "x", "--role", "admin", "--language", "fr",
                     check=False)  # fmt: skip
    assert refused.returncode != 0 and "unknown language 'fr'" in refused.stderr


def test_every_page_of_a_dutch_client_is_dutch(ctx):
    from tests.plugins.mediawiki.test_render import _subjects

    db.session.scalar(select(Client).where(Client.key == "amarant")).language = "nl"
    db.session.flush()
    subjects = _subjects()  # every kind, a documented call among them
    opening = {"client": "Servicepagina van", "application": "(applicatie <code>",
               "report": "SLA-rapportage van", "call": "Kennisartikel uit melding"}  # fmt: skip
    for kind, words in opening.items():
        text = render.render(subjects[kind])
        assert subjects[kind].language == "nl" and words in text, kind
        assert "Deze pagina is gemaakt door SLA Hub" in text and "== Notities ==" in text
    faq = subjects["faq"]  # a product line's page belongs to no client: the hub's default
    assert faq.language == "en" and "Associate FAQ" in render.render(faq)


def test_an_sla_alert_is_worded_in_the_readers_language(ctx):
    from hub.builtin import mailer
    from hub.hooktypes import CallView, Escalation

    call = CallView(id=7, source="t", client="amarant", contract=None, application=None,
                    title="Site slow", description="", reporter=None, priority="P2",
                    category="incident", line="2-application", assignee=None,
                    status="acknowledged", created_at="2026-12-01T09:00:00+00:00")  # fmt: skip
    alert = Escalation(actor="sla", kind="warning", from_line=call.line, to_line=call.line,
                       reason="response clock, P2 target 60 min: due at 2026-12-01 10:00 UTC",
                       recipients=("anja@example.org",), clock="response")  # fmt: skip
    with force_locale("nl"):
        dutch = mailer.message(call, alert, "k1")
    assert dutch["Subject"] == "[P2] SLA-waarschuwing: melding 7 Site slow"
    text = dutch.get_content()
    assert "De klok (reactie) van deze melding nadert haar norm." in text
    assert "status bevestigd" in text and "due at 2026-12-01 10:00 UTC" in text
    with force_locale("en"):
        english = mailer.message(call, alert, "k1").get_content()
    assert "The response clock of this call is close to its target." in english
