"""Pieces every resource module uses: strict input schemas, pages, money and time fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workforce import db
from workforce.errors import InvalidInput
from workforce.exposure import policy
from workforce.exposure.models import ExposurePolicy
from workforce.i18n import validate_locale

#: A page number past this is refused: it keeps OFFSET within what SQLite accepts.
MAX_PAGE = 100_000


class InputSchema(ma.Schema):
    """Request bodies: a misspelt field is an error, never silently ignored."""

    class Meta:
        unknown = ma.RAISE


class ReasonSchema(InputSchema):
    """Body of an action that must say why (reject, revoke, end, manual rotation)."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))


class OptionalReasonSchema(InputSchema):
    reason = ma.fields.String(validate=ma.validate.Length(1, 2000))


class QuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    @ma.validates_schema(pass_original=True)
    def _no_unknown_parameters(self, _data: Any, original: Any, **_kwargs: Any) -> None:
        # webargs loads query strings with unknown=EXCLUDE; a misspelt parameter is still
        # an error, as an unknown field in a body is (and OpenAPI clients expect a 422).
        if not hasattr(original, "keys"):
            return
        known = {field.data_key or name for name, field in self.load_fields.items()}
        unknown = sorted(set(original.keys()) - known)
        if unknown:
            raise ma.ValidationError(
                {name or "_schema": ["unknown query parameter"] for name in unknown}
            )


class LocaleField(ma.fields.String):
    """``?locale=``: a CLDR locale (``sw_KE``, ``es-MX``), loaded in canonical form. An
    unknown one is a 422 naming ``locale``, by :func:`workforce.i18n.validate_locale`, the
    check the services apply to a stored locale."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {"description": "CLDR locale for display, e.g. sw_KE; default the contractor's"},
        )
        super().__init__(validate=ma.validate.Length(2, 40), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        self._validate(text)  # the length first: Babel is not asked about 10 kB strings
        try:
            return validate_locale(text)
        except InvalidInput as error:
            raise ma.ValidationError(next(iter(error.errors.values()))) from None


class LocaleArgs(QuerySchema):
    """Every ``GET /me...`` takes ``?locale=``: the answer's words, dates and numbers in
    that locale instead of the contractor's own."""

    locale = LocaleField()


class PageArgs(QuerySchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, MAX_PAGE))
    page_size = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))


class MoneyString(ma.fields.Decimal):
    """A decimal sent and received as a string ("1234.50"), never a JSON number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _validated(self, value: Any) -> Decimal:
        if isinstance(value, float | bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Timestamp(ma.fields.AwareDateTime):
    """RFC 3339 with an offset; a naive datetime is a 422, and so is one outside the years
    1900-2200 (near year 1 or 9999 converting to UTC would leave Python's datetime range)."""

    MIN_YEAR = 1900
    MAX_YEAR = 2200

    default_error_messages = {
        "invalid_awareness": "must include a UTC offset (RFC 3339)",
        "out_of_range": f"must be between the years {MIN_YEAR} and {MAX_YEAR}",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not self.MIN_YEAR <= moment.year <= self.MAX_YEAR:
            raise self.make_error("out_of_range")
        return moment


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope ``{"items", "page", "page_size", "total"}`` for one item schema."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "page_size": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
        },
    )


def paginate(session: Session, stmt: Select[Any], page: int, page_size: int) -> dict[str, Any]:
    """Run ``stmt`` for one page; ``stmt`` must already be ordered (stable pages)."""
    page_size = min(page_size, current_app.config["PAGE_SIZE_MAX"])
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": items, "page": page, "page_size": page_size, "total": total or 0}


def replica_reader(*, replica: bool = True) -> Session:
    """The request's session for reports, exports and the exposure view: the replica when it
    is recent enough (``db.session(replica=True)``; ``replica=False``: the primary), with a
    policy to cite. The default policy is created (in its own write transaction, on the
    primary) if there is none, and the request then reads the primary, which has it; the
    read session itself never writes."""
    session = db.session(replica=replica)
    if session.scalar(select(ExposurePolicy.id).limit(1)) is None:
        with db.get_db().writer() as writer, writer.begin():
            policy.ensure_default(writer)
        session = db.use_primary()  # a fresh snapshot that sees it
    return session


#: How an answer that may read the replica says where it read (``db.ReadFrom``): the header
#: of every such answer, documented in the OpenAPI schema.
READ_FROM_HEADERS = {
    db.READ_FROM_HEADER: {
        "description": "where this answer's data was read: replica (a streaming standby "
        "within WORKFORCE_REPLICA_MAX_LAG_SECONDS) or primary",
        "schema": {"type": "string", "enum": ["replica", "primary"]},
    },
    db.REPLICA_LAG_HEADER: {
        "description": "the replica's replay lag in seconds when it was measured (absent: "
        "no replica set, or it could not be reached)",
        "schema": {"type": "number"},
    },
}


def read_from_fields() -> dict[str, ma.fields.Field]:
    """The JSON twins of :data:`READ_FROM_HEADERS`, for a report's schema."""
    return {
        "read_from": ma.fields.String(
            metadata={
                "description": "where the figures were read: replica or primary",
                "enum": ["replica", "primary"],
            }
        ),
        "replica_lag_seconds": ma.fields.Float(
            allow_none=True,
            metadata={
                "description": "the replica's replay lag when measured, in seconds; null: "
                "no replica set, or it could not be reached"
            },
        ),
    }
