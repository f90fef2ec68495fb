"""The service wiki's pages in the client's language (``DocSubject.language``).

The plugin keeps its own texts rather than the hub's catalogue (it imports nothing of
the hub beyond the hook types): a language is a folder of templates,
``templates/<language>/``, that overrides the English ones kind by kind, plus the few
words and date formats its filters need here. A language without a folder, or a kind
without a template in it, is written in English.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime

TEMPLATES = Path(__file__).parent / "templates"

#: Words of the hub's vocabulary (services, certification states) in Dutch.
WORDS_NL = {
    "helpdesk": "helpdesk",
    "incident_management": "incidentbeheer",
    "problem_management": "probleembeheer",
    "configuration_management": "configuratiebeheer",
    "change_management": "wijzigingsbeheer",
    "release_management": "releasemanagement",
    "certified": "gecertificeerd",
    "not_certified": "niet gecertificeerd",
    "pending": "in behandeling",
    "1-general": "Eerste lijn, algemeen",
    "1-product": "Eerste lijn, product",
    "2-platform": "Tweede lijn, platform",
    "2-application": "Tweede lijn, applicatie",
    "3-application": "Derde lijn, applicatie",
    "new": "nieuw",
    "acknowledged": "bevestigd",
    "in_progress": "in behandeling",
    "waiting_for_client": "wacht op klant",
    "resolved": "opgelost",
    "closed": "gesloten",
    "reopened": "heropend",
    "question": "vraag",
    "problem": "probleem",
    "change": "wijziging",
    "sla_manager": "SLA-manager",
    "project_lead": "projectleider",
    "developer": "ontwikkelaar",
    "trainer": "opleider",
    "platform_provider": "platformleverancier",
    "first_line": "eerste lijn",
    "response": "reactie",
    "resolution": "oplossing",
    "line": "lijn",
    "collegial": "collegiaal",
}
#: The seed's "wie doet wat": per line who serves it and an example, in Dutch.
LINE_PLAN_NL = {
    "1-general": ("wie de melding aanneemt",
                  "registreert, classificeert, beantwoordt eenvoudige vragen"),
    "1-product": ("medewerkers die de productreeks kennen", "hoe-doe-ik-vragen"),
    "2-platform": ("de hosting- (LAMP-)leverancier", "server, PHP, database, mail"),
    "2-application": ("de associate die dienst heeft", "bugs, configuratie, kleine wijzigingen"),
    "3-application": ("de ontwikkelaar die de applicatie bouwde", "codewijzigingen, releases"),
}  # fmt: skip


def folders(language: str) -> list[Path]:
    """Where templates are looked up for ``language``: its own folder first, then English."""
    own = TEMPLATES / language
    return [own, TEMPLATES] if language != "en" and own.is_dir() else [TEMPLATES]


def when_nl(value: str | None) -> str:
    """An ISO date or UTC time stamp in Dutch: ``1 december 2026`` (``21:00 UTC`` added)."""
    if not value:
        return "niet vastgelegd"
    if len(value) == 10:
        return format_date(date.fromisoformat(value), "d MMMM y", locale="nl")
    return format_datetime(datetime.fromisoformat(value), "d MMMM y HH:mm 'UTC'", locale="nl")


def words_nl(value: object) -> str:
    """A vocabulary word in Dutch (as it is when there is no Dutch word for it)."""
    if value is None:
        return ""
    return WORDS_NL.get(str(value), str(value).replace("_", " "))
