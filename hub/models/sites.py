"""Site checks and certification: each run's results kept as history, and the intake
decisions per application."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow


class SiteCheckRun(db.Model):
    """One run of the checks over one application's site."""

    __tablename__ = "site_check_runs"
    __table_args__ = (Index("ix_site_check_runs_app_checked", "application_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    url: Mapped[str] = mapped_column(String(500))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drupal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requests: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)
    #: The ids of the critical checks that failed (empty: none).
    critical: Mapped[list[str]] = mapped_column(JSON, default=list)

    results: Mapped[list[SiteCheckResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SiteCheckResult.id"
    )


class SiteCheckResult(db.Model):
    """One check's verdict in a run, with what decided it."""

    __tablename__ = "site_check_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("site_check_runs.id"), index=True)
    check: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    verdict: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[SiteCheckRun] = relationship(back_populates="results")


class Certification(db.Model):
    """An intake decision: certified or not, the reasons, the checklist as answered, when
    and by whom. The newest row of an application is its state; older rows are history."""

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    certified: Mapped[bool]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
