"""Documentation pages the plugins wrote, as they reported them (for the admin page)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import UTCDateTime, db, utcnow


class DocPage(db.Model):
    """One page of one plugin: which subject it documents and when it was last synced."""

    __tablename__ = "doc_pages"
    __table_args__ = (UniqueConstraint("plugin", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    #: The client the page belongs to (None for FAQ pages), for listing per client.
    client_key: Mapped[str | None] = mapped_column(String(50), index=True)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the page last changed in the wiki because of the hub.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
