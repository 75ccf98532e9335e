"""The flask-smorest Api, made per app by the factory so that test apps never share a spec."""

from __future__ import annotations

import http
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest.utils import prepare_response
from werkzeug.routing import IntegerConverter

from workforce.errors import PROBLEM_MIMETYPE, InvalidInput


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error of this API is answered."""

    class Meta:
        # Problems may carry extension members (e.g. eligibility reasons, retry_after).
        unknown = ma.INCLUDE

    status = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True, metadata={"description": "machine-readable, snake_case"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "422 only: field path -> messages"},
    )


#: Ids in paths are positive 32-bit integers; a longer number is simply not a route (404).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to the id range, so a huge number never reaches the database."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _id_schema(_converter: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class Api(_Api):
    """flask-smorest, documenting errors as ``application/problem+json``."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app: Any, *, spec_kwargs: Any = None) -> None:
        app.url_map.converters["int"] = IdConverter
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.register_converter(IdConverter, _id_schema)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class Blueprint(_Blueprint):
    """flask-smorest's Blueprint; a required JSON body that is absent is a 422, not ``{}``."""

    def arguments(
        self, schema: Any, *, location: str = "json", required: bool = True, **kwargs: Any
    ) -> Any:
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return parse

        def decorator(func: Any) -> Any:
            parsed = parse(func)

            @wraps(parsed)
            def wrapper(*args: Any, **kw: Any) -> Any:
                if not request.get_data(cache=True):
                    raise InvalidInput.field("body", "a JSON body is required")
                return parsed(*args, **kw)

            return wrapper

        return decorator
