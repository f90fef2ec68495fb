"""The client's hours card in the admin pages: every contract with its balance, and one
contract's card — purchases, approved, held (disputed) and undecided entries, balance and
settings — with the SLA manager's forms to add a purchase, change the settings and settle
a disputed call (approve or write off).

Everyone logged in reads (a client viewer only its own client's contracts); managers
(admin, SLA manager) change. A form's errors sit beside their fields and the page comes
back with 422, nothing saved; a refusal of the ledger (an overdraft) is put beside the
field it names. The rules are the API's schemas and :mod:`hub.hours.ledger`'s own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from pydantic import Field as Rule
from sqlalchemy import select

from hub import calls as call_service
from hub.admin import NavEntry, add_nav, bp
from hub.admin.access import role_required
from hub.admin.forms import Field, drop_none, read, refusal, validate
from hub.api.hours import PurchaseIn
from hub.api.schemas import HoursMoney, In, LongText
from hub.db import db
from hub.errors import HubError, NotFound
from hub.hours import ledger
from hub.models import Call, Client, Contract
from hub.vocab import USER_ROLES

MANAGERS = ("admin", "sla_manager")

add_nav(NavEntry("Hours", "admin.hours_list", roles=USER_ROLES))


class SettingsIn(In):
    unit_minutes: Annotated[int, Rule(ge=1, le=480)]
    low_balance_hours: HoursMoney | None = None
    overdraft_hours: HoursMoney = Decimal("0")


PURCHASE = [
    Field("bought_on", "Bought on", "date", required=True),
    Field("hours", "Hours", "decimal", required=True, help="Such as 10 or 7.50."),
    Field("amount", "Amount (EUR)", "decimal", required=True),
    Field("note", "Note", maxlength=1000),
]
SETTINGS = [
    Field("unit_minutes", "Rounding unit (minutes)", "number", required=True,
          help="Each time entry is rounded up to a whole number of these (1 to 480)."),
    Field("low_balance_hours", "Warn below (hours)", "decimal",
          help="Empty: no low-balance warning."),
    Field("overdraft_hours", "Overdraft allowed (hours)", "decimal", required=True,
          help="How far the balance may go below zero; 0: not at all."),
]  # fmt: skip
RESOLVE_ACTIONS = (("approve", "approve (deduct)"), ("write_off", "write off"))


def _own() -> int | None:
    return current_user.client_id if current_user.role == "client_viewer" else None


def _contract(key: str) -> Contract:
    contract = db.session.scalar(select(Contract).where(Contract.reference == key))
    if contract is None:
        abort(404)
    own = _own()
    if own is not None and contract.client_id != own:
        page = render_template("admin/403.html", reason="This hours card is another client's.")
        abort(make_response(page, 403))
    return contract


def _resolve_fields(contract: Contract) -> list[Field]:
    held = sorted({d.call_id for d in ledger.decisions(contract, "disputed")})
    return [
        Field("call", "Call", "select", tuple((str(c), f"call {c}") for c in held), True),
        Field("action", "Settle by", "select", RESOLVE_ACTIONS, True),
        Field("resolution_note", "Note", "textarea", maxlength=100_000),
    ]


def _settings_values(contract: Contract) -> dict:
    book = ledger.ledger(contract)
    low = book.low_balance
    return {"unit_minutes": book.unit_minutes, "overdraft_hours": str(book.overdraft),
            "low_balance_hours": "" if low is None else str(low)}  # fmt: skip


@bp.get("/hours")
@role_required(*USER_ROLES)
def hours_list():  # noqa: ANN201
    stmt = select(Contract).join(Client).order_by(Client.key, Contract.reference)
    if (own := _own()) is not None:
        stmt = stmt.where(Contract.client_id == own)
    books = [ledger.ledger(c) for c in db.session.scalars(stmt)]
    return render_template("admin/hours.html", books=books)


def _page(
    contract: Contract,
    *,
    form: str | None = None,
    values: dict | None = None,
    errors: dict | None = None,
):  # noqa: ANN202
    """The card's page; ``form`` names the form whose ``values`` and ``errors`` are shown."""
    forms = {"purchase": ({"bought_on": "", "hours": "", "amount": "", "note": ""}, {}),
             "settings": (_settings_values(contract), {}),
             "resolve": ({"action": "approve"}, {})}  # fmt: skip
    if form is not None:
        forms[form] = (values or {}, errors or {})
    page = render_template(
        "admin/hours_contract.html",
        book=ledger.ledger(contract),
        purchases=ledger.purchases(contract),
        approved=ledger.decisions(contract, "approved"),
        held=ledger.decisions(contract, "disputed"),
        written_off=ledger.decisions(contract, "written_off"),
        pending=ledger.pending_entries(contract),
        manager=current_user.role in MANAGERS,
        fields={"purchase": PURCHASE, "settings": SETTINGS, "resolve": _resolve_fields(contract)},
        forms=forms,
    )
    return page, 422 if errors else 200


@bp.get("/contracts/<key>/hours")
@role_required(*USER_ROLES)
def hours_contract(key: str):  # noqa: ANN201
    return _page(_contract(key))


def _submit(contract: Contract, name: str, fields: list[Field], schema, save):  # noqa: ANN001,ANN202
    """Read, check and save one form; back to the page with its errors (422) or redirect."""
    data, errors, values = read(fields, request.form)
    parsed, schema_errors = validate(schema, drop_none(data), fields)
    errors = {**schema_errors, **errors}
    if not errors:
        try:
            message = save(parsed)
            db.session.commit()
        except HubError as exc:
            db.session.rollback()
            errors = refusal(exc, fields)
        else:
            flash(message)
            return redirect(url_for("admin.hours_contract", key=contract.reference), 303)
    return _page(contract, form=name, values=values, errors=errors)


def _actor() -> str:
    return f"user:{current_user.username}"


@bp.post("/contracts/<key>/hours/purchases")
@role_required(*MANAGERS)
def hours_purchase(key: str):  # noqa: ANN201
    contract = _contract(key)

    def save(p: PurchaseIn) -> str:
        ledger.purchase(contract, actor=_actor(), bought_on=p.bought_on, hours_bought=p.hours,
                        amount=p.amount, note=p.note)  # fmt: skip
        return _("%(n).2f h added to the hours card of %(ref)s.", n=p.hours, ref=contract.reference)

    return _submit(contract, "purchase", PURCHASE, PurchaseIn, save)


@bp.post("/contracts/<key>/hours/settings")
@role_required(*MANAGERS)
def hours_settings(key: str):  # noqa: ANN201
    contract = _contract(key)

    def save(s: SettingsIn) -> str:
        ledger.configure(
            contract,
            unit_minutes=s.unit_minutes,
            low_balance_hours=s.low_balance_hours,
            overdraft_hours=s.overdraft_hours,
        )
        return "Hours settings saved."

    return _submit(contract, "settings", SETTINGS, SettingsIn, save)


class ResolveIn(In):
    call: int
    action: Literal["approve", "write_off"]
    resolution_note: LongText | None = None


@bp.post("/contracts/<key>/hours/resolve")
@role_required(*MANAGERS)
def hours_resolve(key: str):  # noqa: ANN201
    contract = _contract(key)
    fields = _resolve_fields(contract)

    def save(r: ResolveIn) -> str:
        try:
            call = call_service.get_call(r.call, for_update=True)
        except NotFound as exc:
            raise NotFound(exc.message, "call") from exc
        if call.contract_id != contract.id:
            raise NotFound(f"call {r.call} is not under contract {contract.reference}", "call")
        n = ledger.resolve(call, actor=_actor(), action=r.action, note=r.resolution_note)
        done = _("approved") if r.action == "approve" else _("written off")
        entries = ngettext("%(num)d disputed entry", "%(num)d disputed entries", n)
        return _("Call %(id)s: %(entries)s %(done)s.", id=call.id, entries=entries, done=done)

    return _submit(contract, "resolve", fields, ResolveIn, save)


def call_hours(call: Call) -> dict | None:
    """The call's entries by state, for the call page (None: no contract, no card)."""
    if call.contract is None:
        return None
    contract = call.contract
    unit = ledger.ledger(contract).unit_minutes
    pending = ledger.pending_entries(contract, call)
    return {
        "pending": ledger.hours(sum(ledger.round_up(e.minutes, unit) for e in pending)),
        **{state: ledger.hours(sum(d.minutes for d in ledger.decisions(contract, state, call)))
           for state in ("approved", "disputed", "written_off")},
        "contract": contract.reference,
    }  # fmt: skip
