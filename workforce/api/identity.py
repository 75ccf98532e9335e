"""Who am I (``GET /me``) and API tokens (``/tokens``, admin only)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import auth, db
from workforce.api.common import InputSchema, PageArgs, Timestamp, page_schema, paginate
from workforce.auth import ROLES, Token, roles
from workforce.extensions import Blueprint

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


class TokenListArgs(PageArgs):
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    contractor_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**31 - 1))
    include_revoked = ma.fields.Boolean(load_default=False)


@blp.route("/me")
class Me(MethodView):
    @roles(*ROLES)
    @blp.response(200, MeSchema)
    def get(self) -> auth.Principal:
        """The principal behind this token."""
        return auth.principal()


@blp.route("/tokens")
class Tokens(MethodView):
    @roles("admin")
    @blp.arguments(TokenListArgs, location="query")
    @blp.response(200, page_schema(TokenSchema, "TokenPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tokens (never their secrets)."""
        stmt = auth.tokens_query(
            role=args.get("role"),
            contractor_id=args.get("contractor_id"),
            include_revoked=args["include_revoked"],
        )
        return paginate(db.session(), stmt, args["page"], args["page_size"])

    @roles("admin")
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a token; the secret is in this answer and nowhere else."""
        token, raw = auth.create_token(db.session(), created_by=auth.principal().token_id, **data)
        return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": raw}


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @roles("admin")
    @blp.response(200, TokenSchema)
    def delete(self, token_id: int) -> Token:
        """Revoke a token at once (idempotent)."""
        return auth.revoke_token(db.session(), token_id)
