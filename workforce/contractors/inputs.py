"""What a contractor's details may be on the way in: the one validation of ``POST
/contractors``, ``PATCH /contractors/{id}`` and each row of a bulk import
(:mod:`workforce.contractors.bulk`). The API serves these schemas; the rules the fields
have together (defaults from the country, uniqueness) are in :mod:`.services`."""

from __future__ import annotations

from typing import Any

import marshmallow as ma


def _text(max_len: int, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(1, max_len), **kwargs)


class ContractorPatchSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE  # a misspelt field is an error, never silently ignored

    external_ref = _text(100, allow_none=True)
    full_name = _text(200)
    email = ma.fields.Email(validate=ma.validate.Length(3, 320))
    country = _text(2)
    subdivision = _text(6, allow_none=True)
    timezone = _text(64)
    locale = _text(20)
    currency = _text(3)
    status = ma.fields.String(validate=ma.validate.OneOf(("active", "suspended")))


class ContractorCreateSchema(ContractorPatchSchema):
    full_name = _text(200, required=True)
    email = ma.fields.Email(required=True, validate=ma.validate.Length(3, 320))
    country = _text(2, required=True)
    status = None  # type: ignore[assignment]  # new contractors start active

    class Meta(ContractorPatchSchema.Meta):
        exclude = ("status",)
