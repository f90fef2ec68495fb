"""Finding and replacing a person's name, e-mail address and phone number in stored
text, JSON and raw bytes (:mod:`hub.privacy` erases a contact with it).

A term matches as a whole word, ignoring case ("Jan" does not match "January"); a phone
number matches with any separators between its digits ("+31 6 1234 5678" also matches
"+31612345678"). Terms shorter than :data:`MIN_TERM` characters are left alone: replacing
every "Al" in a client's calls would mangle far more than the person's name.

Written by hand (with :mod:`re`): the job is a handful of whole-word patterns applied
through nested JSON and webhook bodies, which no library does as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

#: What an occurrence becomes.
ERASED = "[erased]"
#: Shortest term that is replaced (see the module's docstring).
MIN_TERM = 3
#: Fewest digits a phone number needs before it is matched by its digits alone.
MIN_PHONE_DIGITS = 6
_SEPARATORS = r"[\s\-./()]*"


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return r"(?<!\d)\+?" + _SEPARATORS.join(digits) + r"(?!\d)"


class Scrubber:
    """Replaces the given terms (names, e-mail addresses) and phone numbers with
    :data:`ERASED` in strings, bytes and nested JSON values."""

    def __init__(self, terms: Iterable[str | None], phones: Iterable[str | None] = ()) -> None:
        words = {t.strip() for t in terms if t and len(t.strip()) >= MIN_TERM}
        patterns = [rf"(?<!\w){re.escape(t)}(?!\w)" for t in sorted(words, key=len, reverse=True)]
        for phone in phones:
            if phone and phone.strip():
                patterns.append(_phone_pattern(phone) or rf"(?<!\w){re.escape(phone.strip())}")
        self.pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def found(self, value: Any) -> bool:
        """Whether ``value`` (text, bytes or JSON) holds any term."""
        return self.value(value) != value

    def text(self, value: str) -> str:
        return self.pattern.sub(ERASED, value) if self.pattern else value

    def value(self, value: Any) -> Any:
        """``value`` with every occurrence replaced; a new object when anything changed."""
        if self.pattern is None or value is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.raw(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value  # numbers, booleans

    def raw(self, body: bytes) -> bytes:
        """A stored request body: JSON is scrubbed value by value (so escaped characters
        count too) and written back compact; other text by pattern; undecodable bytes as
        Latin-1, which maps every byte to one character and back."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self.text(body.decode("latin-1")).encode("latin-1")
        try:
            data = json.loads(text)
        except ValueError:
            return self.text(text).encode("utf-8")
        scrubbed = self.value(data)
        if scrubbed == data:
            return body
        return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
