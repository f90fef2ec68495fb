"""The migrations build exactly the models' schema, both ways, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from hub.db import db


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_an_upgrade_from_the_first_revision_keeps_the_rows_it_finds(app):
    """A hub installed at revision 0001 with a client, a contract and a call in it is
    upgraded to the newest schema: every row is still there, the added columns have their
    defaults, and the hub works on it (the call's history grows)."""
    from sqlalchemy import text

    from hub import calls
    from hub.models import Call, Contract

    with app.app_context():
        downgrade(revision="base")
        upgrade(revision="0001")
        now = "2026-01-05 09:00:00"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clients (id, key, name, created_at) "
                    "VALUES (1, 'amarant', 'Amarant', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO contracts (id, client_id, reference, name, timezone, calendar, "
                    "services, warning_percent, fixed_fee, hours_card, valid_from, created_at) "
                    "VALUES (1, 1, 'amarant-sla', 'SLA', 'Europe/Amsterdam', '{}', "
                    "'[\"helpdesk\"]', 75, 2400.00, 40.00, '2026-01-01', :now)"
                ),
                {"now": now},
            )
            conn.execute(text(
                "INSERT INTO calls (id, source, client_id, contract_id, title, description, "
                "priority, category, line, status, created_at, updated_at) VALUES (1, 'api', 1, "
                "1, 'Old call', 'from before the upgrade', 'P3', 'incident', '1-general', 'new', "
                ":now, :now)"), {"now": now})  # fmt: skip
        upgrade()
        db.session.remove()
        contract = db.session.get(Contract, 1)
        assert (contract.reference, contract.rules, str(contract.hours_card)) == (
            "amarant-sla", {}, "40.00")  # fmt: skip
        call = db.session.get(Call, 1)
        assert (call.title, call.status, call.client.key) == ("Old call", "new", "amarant")
        calls.add_note(call, actor="t", note="after the upgrade")
        db.session.commit()
        assert [e.note for e in call.events] == ["after the upgrade"]
