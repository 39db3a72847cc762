"""The JSON API under ``/api/v1``: one set of routes per record kind, plus search.

Each kind gets its own routes so that ``/openapi.json`` carries each kind's schema for create and
update. Responses are envelopes (``RecordOut``) rather than the record models: a redacted record
has hidden fields set to null, which the record models would reject.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kirok.domain.records import Confidentiality, Record, record_type
from kirok.security import policy
from kirok.services import records_api
from kirok.services.users import WebUser
from kirok.web.auth import ApiUser, api_user, store_of

MAX_PAGE = 200


class RecordOut(BaseModel):
    """One record as the caller may see it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "event",
                    "id": "3f1c0e2a9b8d4c7e8f6a5b4c3d2e1f00",
                    "version": 2,
                    "confidentiality": "confidential",
                    "data": {"title": "Arrest at the Tumen river", "start_date": "2014-03"},
                    "redacted": [],
                    "pseudonymized": [],
                }
            ]
        }
    )

    kind: str
    id: str
    version: int
    confidentiality: Confidentiality
    data: dict[str, Any] = Field(description="The record's fields; hidden ones are null.")
    redacted: list[str] = Field(description="Fields hidden from the caller's role.")
    pseudonymized: list[str] = Field(description="Identity fields replaced by a pseudonym.")


class PageOut(BaseModel):
    items: list[RecordOut]
    total: int = Field(ge=0, description="Records matching the filters that the caller may read.")
    limit: int
    offset: int


class VersionOut(BaseModel):
    version: int
    action: str
    changed_by: str | None
    changed_at: str
    record: RecordOut | None = Field(description="Null if this version is above your clearance.")


class SearchOut(BaseModel):
    query: str
    items: list[RecordOut]


class Problem(BaseModel):
    detail: str


def envelope(document: dict[str, Any]) -> RecordOut:
    data = {k: v for k, v in document.items() if not k.startswith("_") and k != "kind"}
    return RecordOut(
        kind=str(document["kind"]),
        id=str(document["id"]),
        version=int(document.get("version") or 0),
        confidentiality=Confidentiality(document.get("confidentiality", "secret")),
        data=data,
        redacted=list(document.get("_redacted", [])),
        pseudonymized=list(document.get("_pseudonymized", [])),
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid token or session."},
    403: {"model": Problem, "description": "The policy refuses this to your role."},
    404: {"model": Problem, "description": "No such record (or not visible to you)."},
    409: {"model": Problem, "description": "The record changed since you read it."},
    422: {"model": Problem, "description": "The record is not valid."},
}


def _set_body(endpoint: Callable[..., Any], model: type[Record]) -> None:
    """Give `endpoint`'s ``body`` parameter the kind's model, so OpenAPI documents it."""
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=Annotated[model, Body()]) if p.name == "body" else p
        for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]


def role_gate(kind: str, action: policy.Action) -> Callable[[WebUser], None]:
    """A dependency refusing roles that may never `action` a `kind` (403).

    It runs before the request body is validated, so a refused role learns nothing from
    validation errors; the record's own confidentiality is checked again by the service.
    """

    def gate(user: ApiUser) -> None:
        policy.can(user, action, kind, policy.Confidentiality.PUBLIC).require()

    return gate


def _kind_routes(router: APIRouter, kind: str) -> None:
    model = record_type(kind)
    tag = kind
    read = [Depends(role_gate(kind, policy.Action.READ))]
    create_gate = [Depends(role_gate(kind, policy.Action.CREATE))]
    update_gate = [Depends(role_gate(kind, policy.Action.UPDATE))]

    def list_kind(
        request: Request,
        user: ApiUser,
        term: Annotated[
            list[str] | None,
            Query(description="Vocabulary term id; narrower terms are included."),
        ] = None,
        date_from: Annotated[
            date | None, Query(alias="from", description="Overlaps on or after this day.")
        ] = None,
        date_to: Annotated[
            date | None, Query(alias="to", description="Overlaps on or before this day.")
        ] = None,
        place: Annotated[
            str | None, Query(max_length=64, description="Place id; sub-places are included.")
        ] = None,
        confidentiality: Annotated[list[Confidentiality] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> PageOut:
        page = records_api.list_records(
            store_of(request),
            user,
            kind,
            terms=term,
            date_from=date_from,
            date_to=date_to,
            place_id=place,
            confidentiality=confidentiality,
            limit=limit,
            offset=offset,
        )
        return PageOut(
            items=[envelope(d) for d in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )

    def get_one(request: Request, user: ApiUser, record_id: str) -> RecordOut:
        store = store_of(request)
        record = records_api.get_record(store, user, kind, record_id)
        return envelope(records_api.redacted(store, user, record))

    def history(request: Request, user: ApiUser, record_id: str) -> list[VersionOut]:
        store = store_of(request)
        records_api.get_record(store, user, kind, record_id)
        return [
            VersionOut(
                version=v["version"],
                action=v["action"],
                changed_by=v["changed_by"],
                changed_at=v["changed_at"],
                record=None if v["record"] is None else envelope(v["record"]),
            )
            for v in records_api.history(store, user, record_id)
        ]

    def create(request: Request, user: ApiUser, body: Any) -> RecordOut:
        document = records_api.create_record(
            store_of(request), user, kind, body.model_dump(mode="json")
        )
        return envelope(document)

    def update(
        request: Request,
        user: ApiUser,
        record_id: str,
        body: Any,
        expected_version: Annotated[
            int | None, Query(ge=1, description="Refuse if the record is not at this version.")
        ] = None,
    ) -> RecordOut:
        document = records_api.update_record(
            store_of(request),
            user,
            kind,
            record_id,
            body.model_dump(mode="json"),
            expected_version=expected_version,
        )
        return envelope(document)

    _set_body(create, model)
    _set_body(update, model)
    path = f"/{kind}"
    router.add_api_route(
        path,
        list_kind,
        methods=["GET"],
        response_model=PageOut,
        tags=[tag],
        name=f"list_{kind}",
        dependencies=read,
        responses=_ERRORS,
    )
    router.add_api_route(
        path,
        create,
        methods=["POST"],
        response_model=RecordOut,
        tags=[tag],
        name=f"create_{kind}",
        dependencies=create_gate,
        status_code=201,
        responses=_ERRORS,
    )
    router.add_api_route(
        f"{path}/{{record_id}}",
        get_one,
        methods=["GET"],
        response_model=RecordOut,
        tags=[tag],
        name=f"get_{kind}",
        dependencies=read,
        responses=_ERRORS,
    )
    router.add_api_route(
        f"{path}/{{record_id}}",
        update,
        methods=["PUT"],
        response_model=RecordOut,
        tags=[tag],
        name=f"update_{kind}",
        dependencies=update_gate,
        responses=_ERRORS,
    )
    router.add_api_route(
        f"{path}/{{record_id}}/history",
        history,
        methods=["GET"],
        response_model=list[VersionOut],
        tags=[tag],
        name=f"history_{kind}",
        dependencies=read,
        responses=_ERRORS,
    )


def build_router() -> APIRouter:
    """All API routes; every one depends on an authenticated caller."""
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

    @router.get("/search", response_model=SearchOut, tags=["search"], name="search")
    def search(
        request: Request,
        user: ApiUser,
        q: Annotated[str, Query(min_length=1, max_length=200, description="Korean or English.")],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> SearchOut:
        found = records_api.search(store_of(request), user, q, limit=limit)
        return SearchOut(query=q, items=[envelope(d) for d in found])

    @router.get("/counts", response_model=dict[str, int], tags=["search"], name="counts")
    def counts(request: Request, user: ApiUser) -> dict[str, int]:
        return records_api.counts(store_of(request), user)

    for kind in records_api.api_kinds():
        _kind_routes(router, kind)
    return router
