"""The service wiki: the hub's documentation written into MediaWiki through mwclient.

For each subject the core asks about (:func:`hub.documentation.request`, delivered by
the worker with retries while the wiki is down), the page is rendered from its Jinja
template (:mod:`plugins.mediawiki.render`), the human section of the page as it is now
is kept (read before write, so a person's edit in between is re-read, never
overwritten), and the page is saved only when its text changed (no empty revisions),
with the subject's reason as the edit summary. A protected page or missing rights is a
configuration error: the delivery is dead at once and health says so.
"""

from __future__ import annotations

import difflib

from hub import hookimpl, pluginstate
from hub.db import db, utcnow
from hub.hooktypes import DocSubject, Health, Page, Setting
from plugins.mediawiki import render, settings
from plugins.mediawiki.client import WikiRefused, normalise_text

__version__ = "1.0.0"
ERROR_KEY = "refused"


@hookimpl
def hub_register_settings() -> list[Setting]:
    return list(settings.SETTINGS)


@hookimpl
def hub_documentation_requested(subject: DocSubject) -> list[Page] | None:
    if not settings.configured():
        return None  # switched off until the wiki's URL and bot login are set
    namespace, category = settings.text("namespace"), settings.text("category")
    title = render.title(subject, namespace)
    generated = render.render(subject, category=category, namespace=namespace)
    wiki = settings.client()
    try:
        if subject.bulk:  # one of many: read the namespace's pages in a few requests
            wiki.read_ahead(f"{namespace}:")
        if subject.dry_run:
            return [_preview(wiki, title, generated, subject.reason)]
        result = wiki.write(title, lambda current: render.merge(generated, current), subject.reason)
    except WikiRefused as exc:
        # Kept for health; committed on its own, as the worker rolls the delivery back.
        db.session.rollback()
        pluginstate.put(settings.NAME, ERROR_KEY, {"at": utcnow().isoformat(), "error": str(exc)})
        db.session.commit()
        raise
    if pluginstate.get(settings.NAME, ERROR_KEY) and result != "unchanged":
        pluginstate.put(settings.NAME, ERROR_KEY, None)  # the wiki takes the hub's edits again
    return [Page(title, generated, subject.reason, url=wiki.page_url(title), result=result)]


def _preview(wiki, title: str, generated: str, summary: str) -> Page:  # noqa: ANN001
    """What a write would do, and the diff of the page's text; nothing is written."""
    page = wiki.read(title)
    text = normalise_text(render.merge(generated, page.text))
    if page.exists and page.text == text:
        result = "unchanged"
    else:
        result = "would edit" if page.exists else "would create"
    diff = "".join(
        difflib.unified_diff(
            (page.text or "").splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{title} (wiki)",
            tofile=f"{title} (hub)",
        )
    )
    return Page(title, text, summary, url=wiki.page_url(title), result=result, diff=diff or None)


@hookimpl
def hub_report_health() -> Health:
    """From the settings and what the plugin recorded; no network."""
    if not settings.configured():
        return Health(ok=True, version=__version__, detail="not configured: set url, user and "
                      "bot_password")  # fmt: skip
    refused = pluginstate.get(settings.NAME, ERROR_KEY)
    if refused:
        return Health(
            ok=False,
            version=__version__,
            detail=f"the wiki refused the hub at {refused['at']}: {refused['error']}",
        )
    return Health(ok=True, version=__version__, detail=f"writes to {settings.text('url')}")
