"""Users and API tokens: creation, password hashing, bearer-token lookup."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub import audit
from hub.db import db, utcnow
from hub.errors import Conflict, Invalid
from hub.models import ApiToken, Client, Person, User
from hub.vocab import USER_ROLES

TOKEN_PREFIX = "shub_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    person: str | None = None,
    client: str | None = None,
    language: str | None = None,
) -> User:
    """Add a login (the caller commits); a client viewer must name its client.
    ``language``: of the user's admin page (one of ``LANGUAGES``; None: browser, hub)."""
    if role not in USER_ROLES:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(USER_ROLES)}", "role")
    if db.session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} exists", "username")
    if len(password) < 12:
        raise Invalid("password must be at least 12 characters", "password")
    if (role == "client_viewer") != (client is not None):
        raise Invalid("a client viewer needs --client, and only a client viewer has one", "client")
    if language is not None and language not in current_app.config["LANGUAGES"]:
        offered = ", ".join(current_app.config["LANGUAGES"])
        raise Invalid(f"unknown language {language!r}; expected one of {offered}", "language")
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = User(
        username=username, password_hash=generate_password_hash(password, method), role=role,
        language=language,
    )  # fmt: skip
    if person:
        user.person = db.session.scalar(select(Person).where(Person.key == person))
        if user.person is None:
            raise Invalid(f"unknown person {person!r}", "person")
    if client:
        user.client = db.session.scalar(select(Client).where(Client.key == client))
        if user.client is None:
            raise Invalid(f"unknown client {client!r}", "client")
    db.session.add(user)
    audit.created(
        "user.create", "user", username, user,
        person=user.person.key if user.person else None,
        client=user.client.key if user.client else None,
    )  # fmt: skip
    return user


def create_token(username: str, name: str) -> str:
    """Make a token for a user (the caller commits); returns the token, shown only once."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise Invalid(f"unknown user {username!r}", "username")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, token_hash=hash_token(token))
    db.session.add(row)
    audit.created("token.create", "user", username, row)
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to; notes its use at most every 5 minutes."""
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
    return row.user
