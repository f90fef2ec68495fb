"""Users (people who log in) and API tokens (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import UTCDateTime, db, utcnow
from hub.models.directory import Client, Person


class User(UserMixin, db.Model):
    """A login; Flask-Login's session user (``get_id`` is the row id)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # For the client viewer role: the one client this user may see.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # The admin page's language for this user ("nl", "en"); None: the hub's default.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person | None] = relationship()
    client: Mapped[Client | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot log in
        return self.active


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored (the token itself is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
