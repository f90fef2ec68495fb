"""Jira webhook payloads in the shapes of INTEGRATIONS §2.1 (real Server and Cloud
captures): issue created, issue updated with a status/resolution changelog, a Server
comment inside issue_updated, a Cloud comment_created with a reduced issue."""

from __future__ import annotations

import itertools
import zlib
from typing import Any

from tests.support.fake_jira import API, STATUSES

#: Jira numbers every changelog anew.
_CHANGELOG_IDS = itertools.count(10414)


def user(name: str, display: str | None = None) -> dict:
    return {
        "name": name,
        "key": name,
        "displayName": display or name.title(),
        "emailAddress": f"{name}@example.org",
    }


def issue_json(
    key: str,
    *,
    summary: str = "Form broken",
    description: str = "It fails",
    priority: str = "High",
    status: str = "1",
    labels: tuple[str, ...] = (),
    resolution: str | None = None,
    base: str = "https://jira.example.org",
) -> dict:
    name, category = STATUSES[status]
    return {
        "id": str(zlib.crc32(key.encode()) % 100000),
        "key": key,
        "self": f"{base}{API}/issue/{key}",
        "fields": {
            "summary": summary,
            "description": description,
            "labels": list(labels),
            "issuetype": {"id": "1", "name": "Bug"},
            "project": {"id": "1", "key": key.split("-")[0], "name": key.split("-")[0]},
            "priority": {"id": "2", "name": priority},
            "status": {"id": status, "name": name, "statusCategory": {"key": category}},
            "resolution": {"id": "1", "name": resolution} if resolution else None,
            "created": "2026-12-01T09:55:00.000+0100",
            "updated": "2026-12-01T10:00:00.000+0100",
        },
    }


def issue_created(key: str, actor: str = "carla", **fields: Any) -> dict:
    return {
        "timestamp": 1796112000000,
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": user(actor),
        "issue": issue_json(key, **fields),
    }


def status_changed(
    key: str,
    to: str,
    *,
    frm: str = "1",
    actor: str = "dev",
    resolution: str | None = None,
    event_type: str | None = "issue_generic",
    **fields: Any,
) -> dict:
    """``jira:issue_updated`` with a status change (and a resolution when given)."""
    items = [
        {
            "field": "status",
            "fieldtype": "jira",
            "from": frm,
            "fromString": STATUSES[frm][0],
            "to": to,
            "toString": STATUSES[to][0],
        }
    ]
    if resolution:
        items.append(
            {
                "field": "resolution",
                "fieldtype": "jira",
                "from": None,
                "fromString": None,
                "to": "10000",
                "toString": resolution,
            }
        )
    payload = {
        "timestamp": 1796112000000,
        "webhookEvent": "jira:issue_updated",
        "user": user(actor),
        "issue": issue_json(key, status=to, resolution=resolution, **fields),
        "changelog": {"id": str(next(_CHANGELOG_IDS)), "items": items},
    }
    if event_type:
        payload["issue_event_type_name"] = event_type
    return payload


def comment_json(comment_id: str, body: Any, author: str) -> dict:
    return {
        "id": comment_id,
        "self": f"https://jira.example.org/comment/{comment_id}",
        "author": user(author),
        "updateAuthor": user(author),
        "body": body,
        "created": "2026-12-01T10:00:00.000+0100",
    }


def issue_commented(
    key: str, comment_id: str, body: Any, author: str = "dev", **fields: Any
) -> dict:
    """Server style: ``jira:issue_updated`` / ``issue_commented`` with a top-level comment."""
    return {
        "timestamp": 1796112000000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_commented",
        "user": user(author),
        "issue": issue_json(key, **fields),
        "comment": comment_json(comment_id, body, author),
    }


def comment_created(key: str, comment_id: str, body: Any, author: str = "dev") -> dict:
    """Cloud style: ``comment_created`` with a reduced issue (no description, no labels)."""
    full = issue_json(key)["fields"]
    reduced = {k: full[k] for k in ("summary", "issuetype", "project", "priority", "status")}
    return {
        "timestamp": 1796112000000,
        "webhookEvent": "comment_created",
        "comment": comment_json(comment_id, body, author),
        "issue": {
            "id": "1",
            "key": key,
            "self": f"https://jira.example.org/{key}",
            "fields": {**reduced, "assignee": None},
        },
    }


def adf(text: str) -> dict:
    """A comment body as an Atlassian Document Format document (Cloud)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }
