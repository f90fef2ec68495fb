"""Clients, contacts, contracts, applications and people through the API."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from hub import directory as service
from hub.api import PAGING, bp, current_user, doc, paged, parse, render
from hub.api.schemas import (
    ApplicationIn,
    ApplicationPatch,
    ClientIn,
    ClientPatch,
    ContactIn,
    ContractIn,
    ContractPatch,
    PersonIn,
    PersonPatch,
)
from hub.db import db
from hub.errors import Forbidden
from hub.models import Application, Client, Contract, Person

MANAGERS = ("admin", "sla_manager")
STAFF = ("admin", "sla_manager", "associate")
BY_CLIENT = {"client": {"type": "string"}, **PAGING}


def _own(client_id: int) -> None:
    user = current_user()
    if user.role == "client_viewer" and user.client_id != client_id:
        raise Forbidden("this belongs to another client")


def _scoped(stmt, model):  # noqa: ANN001,ANN202
    user = current_user()
    if user.role == "client_viewer":
        stmt = stmt.where(model.client_id == user.client_id)
    if "client" in request.args:
        stmt = stmt.join(Client, model.client_id == Client.id).where(
            Client.key == request.args["client"]
        )
    return stmt


# --- clients ----------------------------------------------------------------------------


@bp.get("/clients")
@doc("List clients", query=PAGING)
def list_clients():  # noqa: ANN201
    stmt = select(Client).order_by(Client.key)
    user = current_user()
    if user.role == "client_viewer":
        stmt = stmt.where(Client.id == user.client_id)
    return jsonify(paged(stmt, render.client))


@bp.post("/clients")
@doc("Add a client", body=ClientIn, roles=MANAGERS)
def create_client():  # noqa: ANN201
    client = service.create_client(**parse(ClientIn).model_dump())
    db.session.commit()
    return jsonify(render.client(client)), 201


@bp.get("/clients/<key>")
@doc("One client with its contacts")
def get_client(key: str):  # noqa: ANN201
    client = service.get(Client, "key", key)
    _own(client.id)
    return jsonify(render.client(client))


@bp.patch("/clients/<key>")
@doc("Rename a client", body=ClientPatch, roles=MANAGERS)
def patch_client(key: str):  # noqa: ANN201
    data = parse(ClientPatch)
    given = data.model_dump(exclude_unset=True, include={"language"})
    client = service.rename_client(service.get(Client, "key", key), data.name, **given)
    db.session.commit()
    return jsonify(render.client(client))


@bp.post("/clients/<key>/contacts")
@doc("Add a contact person at a client", body=ContactIn, roles=MANAGERS)
def add_contact(key: str):  # noqa: ANN201
    data = parse(ContactIn)
    contact = service.add_contact(service.get(Client, "key", key), **data.model_dump())
    db.session.commit()
    return jsonify(render.contact(contact)), 201


# --- contracts --------------------------------------------------------------------------


@bp.get("/contracts")
@doc("List contracts", query=BY_CLIENT)
def list_contracts():  # noqa: ANN201
    stmt = _scoped(select(Contract).order_by(Contract.reference), Contract)
    return jsonify(paged(stmt, render.contract))


@bp.post("/contracts")
@doc("Add a contract with its service level", body=ContractIn, roles=MANAGERS)
def create_contract():  # noqa: ANN201
    contract = service.create_contract(**parse(ContractIn).model_dump())
    db.session.commit()
    return jsonify(render.contract(contract)), 201


@bp.get("/contracts/<reference>")
@doc("One contract")
def get_contract(reference: str):  # noqa: ANN201
    contract = service.get(Contract, "reference", reference)
    _own(contract.client_id)
    return jsonify(render.contract(contract))


@bp.patch("/contracts/<reference>")
@doc("Change a contract", body=ContractPatch, roles=MANAGERS)
def patch_contract(reference: str):  # noqa: ANN201
    data = parse(ContractPatch)
    contract = service.get(Contract, "reference", reference)
    service.update_contract(contract, **data.model_dump(exclude_unset=True))
    db.session.commit()
    return jsonify(render.contract(contract))


# --- applications -----------------------------------------------------------------------


@bp.get("/applications")
@doc("List applications", query=BY_CLIENT)
def list_applications():  # noqa: ANN201
    stmt = _scoped(select(Application).order_by(Application.key), Application)
    return jsonify(paged(stmt, render.application))


@bp.post("/applications")
@doc("Add an application (site) under a client", body=ApplicationIn, roles=MANAGERS)
def create_application():  # noqa: ANN201
    application = service.create_application(**parse(ApplicationIn).model_dump())
    db.session.commit()
    return jsonify(render.application(application)), 201


@bp.get("/applications/<key>")
@doc("One application with its team")
def get_application(key: str):  # noqa: ANN201
    application = service.get(Application, "key", key)
    _own(application.client_id)
    return jsonify(render.application(application))


@bp.patch("/applications/<key>")
@doc("Change an application", body=ApplicationPatch, roles=MANAGERS)
def patch_application(key: str):  # noqa: ANN201
    data = parse(ApplicationPatch)
    application = service.get(Application, "key", key)
    service.update_application(application, **data.model_dump(exclude_unset=True))
    db.session.commit()
    return jsonify(render.application(application))


# --- people -----------------------------------------------------------------------------


@bp.get("/people")
@doc("List staff, associates and outside parties", query=PAGING, roles=STAFF)
def list_people():  # noqa: ANN201
    return jsonify(paged(select(Person).order_by(Person.key), render.person))


@bp.post("/people")
@doc("Add a person", body=PersonIn, roles=MANAGERS)
def create_person():  # noqa: ANN201
    person = service.create_person(**parse(PersonIn).model_dump())
    db.session.commit()
    return jsonify(render.person(person)), 201


@bp.get("/people/<key>")
@doc("One person", roles=STAFF)
def get_person(key: str):  # noqa: ANN201
    return jsonify(render.person(service.get(Person, "key", key)))


@bp.patch("/people/<key>")
@doc("Change a person", body=PersonPatch, roles=MANAGERS)
def patch_person(key: str):  # noqa: ANN201
    data = parse(PersonPatch)
    person = service.get(Person, "key", key)
    service.update_person(person, **data.model_dump(exclude_unset=True))
    db.session.commit()
    return jsonify(render.person(person))
