"""Who am I (``GET /me``) and API tokens: staff tokens (``/tokens``, admin only) and a
contractor's own (``/me/tokens``). Staff never mint contractor tokens through the API: a
contractor token reads that person's health data, so only they create it (or an operator
on the host, with ``flask tokens create``, warned)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, LocaleArgs, PageArgs, Timestamp, page_schema, paginate
from workforce.api.openapi import problems
from workforce.errors import Forbidden
from workforce.extensions import Blueprint
from workforce.identity import access
from workforce.identity.access import ROLES, roles
from workforce.identity.models import Token

blp = Blueprint("identity", __name__, url_prefix="/api/v1", description="Identity and tokens")


class MeSchema(ma.Schema):
    token_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    role = ma.fields.String()
    contractor_id = ma.fields.Integer(allow_none=True)


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    contractor_id = ma.fields.Integer(allow_none=True)
    hint = ma.fields.String(metadata={"description": "first characters of the token"})
    created_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)
    last_used_at = ma.fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = ma.fields.String(metadata={"description": "the secret, shown only this once"})


class TokenCreateSchema(InputSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    contractor_id = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 2**31 - 1))
    expires_at = Timestamp(allow_none=True)


class MyTokenCreateSchema(InputSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    expires_at = Timestamp(allow_none=True)


class MyTokenListArgs(PageArgs):
    include_revoked = ma.fields.Boolean(load_default=False)


class TokenListArgs(PageArgs):
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))
    include_revoked = ma.fields.Boolean(load_default=False)


@blp.route("/me")
class Me(MethodView):
    @roles(*ROLES)
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, MeSchema)
    def get(self, _args: dict[str, Any]) -> access.Principal:
        """The principal behind this token."""
        return access.principal()


@blp.route("/tokens")
class Tokens(MethodView):
    @roles("admin")
    @blp.arguments(TokenListArgs, location="query")
    @blp.response(200, page_schema(TokenSchema, "TokenPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tokens (never their secrets)."""
        stmt = access.tokens_query(
            role=args.get("role"),
            contractor_id=args.get("contractor_id"),
            include_revoked=args["include_revoked"],
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("admin")
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @problems("contractor_tokens_are_personal")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a staff or ingest token; the secret is in this answer and nowhere else.

        A ``contractor`` token is refused (403 ``contractor_tokens_are_personal``): the
        contractor creates their own with ``POST /me/tokens`` or on the portal.
        """
        if data["role"] == "contractor":
            raise Forbidden(
                "contractor tokens are personal: the contractor creates them "
                "(POST /api/v1/me/tokens or the portal)",
                code="contractor_tokens_are_personal",
            )
        token, raw = access.create_token(
            db.session(), created_by=access.principal().token_id, **data
        )
        return _with_secret(token, raw)


def _with_secret(token: Token, raw: str) -> dict[str, Any]:
    return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": raw}


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @roles("admin")
    @blp.response(200, TokenSchema)
    def delete(self, token_id: int) -> Token:
        """Revoke a token at once (idempotent)."""
        return access.revoke_token(db.session(), token_id)


class MyTokenArgs(MyTokenListArgs, LocaleArgs):
    """MyTokenListArgs and ``?locale=``."""


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @roles("contractor")
    @blp.arguments(MyTokenArgs, location="query")
    @blp.response(200, page_schema(TokenSchema, "MyTokenPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My API tokens (never their secrets)."""
        stmt = access.tokens_query(
            contractor_id=access.me(), include_revoked=args["include_revoked"]
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("contractor")
    @blp.arguments(MyTokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a token of my own; the secret is in this answer and nowhere else.

        It can read everything I can, check-in answers included: keep it secret.
        """
        contractor_id = access.me()
        token, raw = access.create_token(
            db.session(),
            name=data["name"],
            role="contractor",
            contractor_id=contractor_id,
            expires_at=data.get("expires_at"),
            created_by=access.principal().token_id,
        )
        return _with_secret(token, raw)


@blp.route("/me/tokens/<int:token_id>")
class MyToken(MethodView):
    @roles("contractor")
    @blp.response(200, TokenSchema)
    def delete(self, token_id: int) -> Token:
        """Revoke one of my tokens at once (idempotent); anyone else's is a 404."""
        return access.revoke_token(db.session(), token_id, contractor_id=access.me())
