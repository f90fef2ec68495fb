"""Wiki pages from documentation subjects: their titles, their wikitext, and the merge that
keeps what people wrote.

Pure functions of a :class:`~hub.hooktypes.DocSubject`'s ``data`` (built by
:mod:`hub.docdata`): no database, no wiki, no clock, so the same data always renders the
same text and an unchanged subject is a no-op edit in the wiki.

The Jinja templates (``templates/<kind>.wiki.j2``) write wikitext, so HTML autoescaping
is off; every data value goes through the ``wiki`` filter (or ``block`` for multi-line
text), which turns the characters wikitext would act on into HTML entities: links and
templates (``[[ ]]``, ``{{ }}``), table cells (``|``), tags (``<``), signatures (``~``),
bold and italics (``'``), behaviour switches (``__``) and, at a line's start, lists,
indents, headings, rules and preformatted text (``* # : ; = - !`` and a space).
Entities rather than ``<nowiki>``: a value cannot close them early.

Each page has one section for people, between :data:`HUMAN_BEGIN` and
:data:`HUMAN_END`; :func:`merge` carries it from the wiki's current text into the newly
generated one. Everything else on the page is the hub's and is rewritten.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from hub.hooktypes import DocSubject
from plugins.mediawiki import language as lang

DEFAULT_NAMESPACE = "Service"
DEFAULT_CATEGORY = "SLA Hub"
HUMAN_BEGIN = "<!-- slahub:human:begin -->"
HUMAN_END = "<!-- slahub:human:end -->"
#: The visible line above the human section (the hub's, so always rewritten).
HUMAN_NOTE = (
    "''Write your own notes between the two <code>slahub:human</code> markers below: SLA "
    "Hub keeps them. Everything else on this page is regenerated from the hub's data.''"
)
#: MediaWiki's limit on a title, in bytes of UTF-8.
MAX_TITLE_BYTES = 255
TEMPLATES = Path(__file__).parent / "templates"

_INLINE = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;", "{": "&#123;",
    "}": "&#125;", "|": "&#124;", "~": "&#126;", "'": "&#39;",
})  # fmt: skip
_LINE_START = {c: f"&#{ord(c)};" for c in "*#:;=-! \t"}


def _escape_line(line: str) -> str:
    text = line.translate(_INLINE).replace("__", "&#95;&#95;")
    return _LINE_START[text[0]] + text[1:] if text[:1] in _LINE_START else text


def _lines(value: object) -> list[str]:
    text = "" if value is None else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def wiki(value: object) -> str:
    """A data value as inline wikitext that shows as written (None: empty); line breaks
    become ``<br />`` so that the value is safe in a table cell or a heading."""
    return "<br />".join(_escape_line(line) for line in _lines(value))


def block(value: object) -> str:
    """Multi-line text (a description, a note) as paragraphs that show as written."""
    return "\n".join(_escape_line(line.rstrip()) for line in _lines(value)).strip("\n")


def url(value: object, label: object = None) -> str:
    """An external link when ``value`` is a plain http(s) URL, else the escaped text."""
    text = "" if value is None else str(value).strip()
    if re.fullmatch(r"https?://[^\s\[\]<>\"{}|'~]+", text):
        return f"[{text} {wiki(label or text)}]"
    return wiki(text)


def when(value: str | None) -> str:
    """An ISO date or UTC time stamp as people read it: ``2026-12-01 21:00 UTC``."""
    if not value:
        return "not recorded"
    if len(value) == 10:
        return date.fromisoformat(value).isoformat()
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def duration(minutes: float | int | None) -> str:
    """Minutes as ``45 min``, ``4 h`` or ``1 h 30 min``."""
    if minutes is None:
        return "–"
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def words(value: object) -> str:
    """A vocabulary word as text: ``incident_management`` → ``incident management``."""
    return wiki(str(value).replace("_", " ")) if value is not None else ""


def _segment(text: object) -> str:
    """One part of a title without what MediaWiki refuses or reads specially."""
    text = str(text or "").translate(str.maketrans("[]{}<>", "()()()", "\x7f"))
    text = re.sub(r"[\x00-\x1f]", " ", text).replace("#", "No.").replace("|", "-")
    text = text.replace("/", "-").replace("_", " ")
    text = re.sub(r"%(?=[0-9A-Fa-f]{2})", "% ", text)  # not percent-encoding
    text = re.sub(r"&(?=[A-Za-z0-9#]+;)", "& ", text)  # not an entity
    text = re.sub(r"~{3,}", "~~", text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(":").strip()
    if set(text) <= {"."}:
        text = f"({text or 'unnamed'})"
    return text


def page_title(kind: str, data: dict[str, Any], namespace: str = DEFAULT_NAMESPACE) -> str:
    """The title of the page about ``kind`` with this data (see :func:`title`)."""
    ns = _segment(namespace) or DEFAULT_NAMESPACE
    client = (data.get("client") or {}).get("name")
    if kind == "client":
        parts = [client]
    elif kind == "application":
        parts = [client, data["application"]["name"]]
    elif kind == "report":
        parts = [client, f"SLA report {data['period']}"]
    elif kind == "faq":
        parts = [f"FAQ {data['title']}"]
    elif kind == "call":
        parts = ["Knowledge", f"Call {data['call']['id']}: {data['call']['title']}"]
    else:
        raise ValueError(f"no page for kind {kind!r}")
    page = "/".join(_segment(p) for p in parts)
    if page[:1].upper() != page[:1] and len(page[:1].upper()) == 1:
        page = page[0].upper() + page[1:]  # as the wiki stores it ($wgCapitalLinks)
    whole = f"{ns}:{page}".encode()
    return whole[:MAX_TITLE_BYTES].decode(errors="ignore").rstrip(" ./:-")


def title(subject: DocSubject, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The page's title: ``Service:Amarant``, ``Service:Amarant/Amarant intranet``,
    ``Service:Amarant/SLA report 2026-10``, ``Service:FAQ Joomla``,
    ``Service:Knowledge/Call 12: Login fails``; a valid MediaWiki title of at most 255
    bytes (``#<>[]|{}`` replaced, ``/`` only between the parts, no outer spaces)."""
    return page_title(subject.kind, subject.data, namespace)


@cache
def _environment(language: str = "en") -> Environment:
    """The templates of ``language`` (falling back to English ones), with its filters."""
    env = Environment(
        loader=FileSystemLoader(lang.folders(language)),
        autoescape=False,  # wikitext, not HTML: values are escaped by the wiki filter
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(wiki=wiki, block=block, url=url, when=when, duration=duration,
                       percent=percent, words=words)  # fmt: skip
    env.globals.update(HUMAN_BEGIN=HUMAN_BEGIN, HUMAN_END=HUMAN_END, HUMAN_NOTE=HUMAN_NOTE)
    if language == "nl":
        env.filters.update(when=lang.when_nl, words=lambda v: wiki(lang.words_nl(v)))
        env.globals.update(plan=lang.LINE_PLAN_NL)
    return env


def render(
    subject: DocSubject, category: str = DEFAULT_CATEGORY, namespace: str = DEFAULT_NAMESPACE
) -> str:
    """The page's wikitext, with an empty human section and ``[[Category:<category>]]``;
    links to the subject's other pages use ``namespace``."""

    def link(kind: str, data: dict[str, Any], label: object) -> str:
        return f"[[{page_title(kind, data, namespace)}|{wiki(label)}]]"

    template = _environment(subject.language).get_template(f"{subject.kind}.wiki.j2")
    text = template.render(d=subject.data, subject=subject, link=link,
                           category=_segment(category) or DEFAULT_CATEGORY)  # fmt: skip
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def human_section(text: str) -> str | None:
    """What is between the markers of an intact page (None when a marker is missing or
    out of order): from the first begin to the last end marker, so that a marker a person
    copied into the section keeps the text around it."""
    start, end = text.find(HUMAN_BEGIN), text.rfind(HUMAN_END)
    if start < 0 or end < start + len(HUMAN_BEGIN):
        return None
    return text[start + len(HUMAN_BEGIN) : end].strip("\n")


def _recover(current: str, head: str, tail: str) -> str:
    """The human text of a page whose markers were damaged, never losing any of it.

    The region where the section was: after a begin marker left alone; before an end
    marker left alone; else the whole page. A region that starts at the page's start
    starts after the visible note line when that is still there (the hub's text is above
    it); then the hub's lines (``head``: before the section, ``tail``: after it) are
    dropped where they still stand unchanged at the region's start or end. Anything else,
    old hub text that has changed since included, is kept for the person to tidy up.
    """
    has_begin, has_end = HUMAN_BEGIN in current, HUMAN_END in current
    region = current
    if has_begin and not has_end:
        region, head = current.split(HUMAN_BEGIN, 1)[1], ""
    elif has_end and not has_begin:
        region, tail = current.rsplit(HUMAN_END, 1)[0], ""
    region = region.replace(HUMAN_BEGIN, "").replace(HUMAN_END, "")
    if head and HUMAN_NOTE in region:
        region, head = region.rsplit(HUMAN_NOTE, 1)[1], ""
    lines = region.strip("\n").split("\n")
    hub_head = head.strip("\n").split("\n") if head.strip() else []
    hub_tail = tail.strip("\n").split("\n") if tail.strip() else []
    while lines and hub_head and lines[0].rstrip() == hub_head[0].rstrip():
        lines, hub_head = lines[1:], hub_head[1:]
    while lines and hub_tail and lines[-1].rstrip() == hub_tail[-1].rstrip():
        lines, hub_tail = lines[:-1], hub_tail[:-1]
    return "\n".join(lines).strip("\n")


def merge(generated: str, current: str | None) -> str:
    """The generated page with the human section of ``current`` (the wiki's text) in it.

    An intact section is copied as it is. When a person deleted or damaged a marker the
    text is recovered by :func:`_recover` (duplicated old hub text is better than lost
    human text); the result has both markers again, so the next merge is exact. A page
    that was never the hub's (no markers, no hub text) is kept whole in the section.
    """
    start, end = generated.find(HUMAN_BEGIN), generated.find(HUMAN_END)
    if start < 0 or end < start:
        raise ValueError("generated text has no human section")
    head, tail = generated[:start], generated[end + len(HUMAN_END) :]
    if not current or not current.strip():
        return generated
    human = human_section(current)
    if human is None:
        human = _recover(current, head, tail)
    inner = f"\n{human}\n" if human.strip() else "\n"
    return f"{head}{HUMAN_BEGIN}{inner}{HUMAN_END}{tail}"
