"""A contractor's own profile and choices: ``/me/profile``, ``/me/consent``, ``/me/opt-outs``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from workforce import db
from workforce.api.common import InputSchema, LocaleArgs
from workforce.api.contractors import ContractorSchema
from workforce.contractors import services
from workforce.contractors.models import Contractor
from workforce.extensions import Blueprint
from workforce.harm import HARM_CATEGORIES
from workforce.identity import access
from workforce.identity.access import roles

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="My profile and choices")


class ConsentSchema(InputSchema):
    # Only JSON true/false: "yes" or 1 is not a clear answer to a consent question.
    sensitive = ma.fields.Boolean(required=True, truthy={True}, falsy={False})


class OptOutsSchema(InputSchema):
    categories = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(HARM_CATEGORIES)),
        required=True,
        validate=ma.validate.Length(max=len(HARM_CATEGORIES)),
    )


@blp.route("/me/profile")
class MyProfile(MethodView):
    @roles("contractor")
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, ContractorSchema)
    def get(self, _args: dict[str, Any]) -> Contractor:
        """My contractor record."""
        return services.get_contractor(db.session(), access.me())


@blp.route("/me/consent")
class MyConsent(MethodView):
    @roles("contractor")
    @blp.arguments(ConsentSchema)
    @blp.response(200, ContractorSchema)
    def put(self, data: dict[str, Any]) -> Contractor:
        """Give or withdraw consent to sensitive work; it applies at once, pay is unchanged."""
        return services.set_consent(db.session(), access.me(), data["sensitive"])


@blp.route("/me/opt-outs")
class MyOptOuts(MethodView):
    @roles("contractor")
    @blp.arguments(OptOutsSchema)
    @blp.response(200, ContractorSchema)
    def put(self, data: dict[str, Any]) -> Contractor:
        """Choose the harm categories I will not be shown; pay is unchanged."""
        return services.set_opt_outs(db.session(), access.me(), data["categories"])
