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
        assert call.client.language is None  # 0010: the hub's default language
        calls.add_note(call, actor="t", note="after the upgrade")
        db.session.commit()
        assert [e.note for e in call.events] == ["after the upgrade"]


#: What 0010 adds to tables that already hold rows.
ADDED_IN_0010 = {
    "users": ["language"],
    "clients": ["language"],
    "contacts": ["erased_at"],
    "inbound_events": ["request_id"],
    "outbox": ["request_id"],
}


def _rows(table: str, without: list[str]) -> list[dict]:
    """A table's rows (by id) without the named columns, read with the table's own columns
    at the current revision."""
    from sqlalchemy import text

    rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings().all()
    return [{k: v for k, v in row.items() if k not in without} for row in rows]


def test_0010_down_and_up_keeps_the_rows_of_the_tables_it_alters(app, demo):
    """The tables 0010 alters hold rows with the new columns filled in; downgrading to
    0009 keeps every row (without the columns), and upgrading again brings the columns
    back empty on the same rows."""
    from sqlalchemy import text

    from hub import calls, inbound

    with app.app_context():
        calls.create(actor="t", source="test", client="amarant", title="with a delivery")
        inbound.store("monitoring", "d-0010", b'{"type": "call.create"}')
        for table, columns in ADDED_IN_0010.items():
            value = "'2026-12-01 10:00:00'" if columns == ["erased_at"] else "'nl'"
            db.session.execute(text(f"UPDATE {table} SET {columns[0]} = {value}"))
        db.session.commit()
        before = {t: _rows(t, cols) for t, cols in ADDED_IN_0010.items()}
        assert all(before.values()), {t: len(r) for t, r in before.items()}

        db.session.remove()
        downgrade(revision="0009")
        for table, columns in ADDED_IN_0010.items():
            present = {c["name"] for c in inspect(db.session.connection()).get_columns(table)}
            assert not present & set(columns), table
            assert _rows(table, []) == before[table], table
        db.session.remove()

        upgrade()
        for table, columns in ADDED_IN_0010.items():
            assert _rows(table, columns) == before[table], table
            new = db.session.execute(text(f"SELECT {columns[0]} FROM {table}")).scalars().all()
            assert set(new) == {None}, table
        db.session.remove()
