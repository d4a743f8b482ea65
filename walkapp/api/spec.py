"""The `endpoint` decorator: one declaration parses the request and documents it in OpenAPI."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import RequestEntityTooLarge

from ..domain.json_limits import json_shape_problem
from ..extensions import ID_MAX
from ..services.errors import Invalid, Problem, ServiceError, TooLarge
from .auth import require_caller, require_participant
from .schemas import Errors

M = TypeVar("M", bound=BaseModel)

# Bodies nest 3 levels at most (a trace's point: an object in a list in the body); 8 leaves room
# and stays far below Python's recursion limit.
JSON_MAX_DEPTH = 8
# The largest real body (TRACK_BATCH_MAX trace points) holds a few thousand values and keys.
JSON_MAX_ITEMS = 20_000


ERROR_DESCRIPTIONS = {
    400: "the body is not JSON (NaN and Infinity included), nests too deep or is too many values",
    401: "no or bad bearer token",
    403: "not allowed",
    404: "unknown (or not yours)",
    409: "conflict with the current state",
    413: "the body is over the limit",
    422: "validation failed",
    429: "too many failed attempts from this address: wait and retry",
}


@dataclass
class Endpoint:
    rule: str
    method: str
    summary: str
    tag: str
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    body: type[BaseModel] | None = None
    multipart_field: str | None = None
    auth: str | None = None  # "participant", "planner" or None
    # A participant's endpoint that needs only the token's ids and walk state (g.caller, one
    # row) rather than the ORM participant (g.participant): the spot submit, the hot path.
    caller_only: bool = False
    errors: tuple[int, ...] = ()
    content_type: str = "application/json"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return re.sub(r"<(?:(\w+):)?(\w+)>", r"{\2}", self.rule)

    @property
    def path_params(self) -> list[tuple[str, str | None]]:
        return [(name, conv) for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", self.rule)]


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body(model: type[BaseModel]) -> BaseModel:
    """Parse and validate a strict JSON body (the size limit is checked before reading)."""
    request.max_content_length = current_app.config["JSON_BODY_LIMIT"]
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise TooLarge({"body": Problem("body_too_large", limit="64 KB")}) from None
    return parse_json(raw, model)


def parse_json(raw: bytes, model: type[M]) -> M:
    """Strict JSON to a validated model: ServiceError (400) or Invalid (422), nothing coerced."""
    shape = json_shape_problem(raw, max_depth=JSON_MAX_DEPTH, max_items=JSON_MAX_ITEMS)
    if shape is not None:
        raise ServiceError(
            {"body": Problem(shape, max=JSON_MAX_DEPTH if shape == "too_deep" else JSON_MAX_ITEMS)}
        )
    try:
        json.loads(raw, parse_constant=_reject_constant)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        raise ServiceError({"body": "not_json"}) from None
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> Invalid:
    """pydantic's errors as a refusal: its error types are the codes (``missing``,
    ``less_than_equal``, ``extra_forbidden``...); its sentences stand where walkapp has none."""
    problems: dict[str, Problem] = {}
    fallbacks: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        name = ".".join(str(part) for part in err["loc"]) or "body"
        if name not in problems:
            problems[name] = Problem(err["type"])
            fallbacks[name] = err["msg"].removeprefix("Value error, ")
    refusal = Invalid(problems)
    refusal.fallbacks = fallbacks
    return refusal


class Api:
    """Registers endpoints on a blueprint and keeps their description for OpenAPI."""

    def __init__(self, blueprint: Blueprint, title: str, version: str):
        self.blueprint = blueprint
        self.title = title
        self.version = version
        self.endpoints: list[Endpoint] = []

    def endpoint(self, rule: str, method: str, **kwargs) -> Callable:
        spec = Endpoint(rule=rule, method=method, **kwargs)
        self.endpoints.append(spec)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapper(**path_args):
                if spec.auth == "participant" and spec.caller_only:
                    g.caller = require_caller()
                elif spec.auth == "participant":
                    g.participant = require_participant()
                if spec.body is not None:
                    path_args["data"] = json_body(spec.body)
                return view(**path_args)

            self.blueprint.add_url_rule(rule, view.__name__, wrapper, methods=[method])
            return wrapper

        return decorator

    # --- OpenAPI 3.1 -------------------------------------------------------------------------

    def openapi(self, server_url: str) -> dict[str, Any]:
        models = {Errors}
        for ep in self.endpoints:
            if ep.body:
                models.add(ep.body)
            models.update(m for _, m in ep.responses.values() if m)
        keyed = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
        refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
        ref = {model: refs[(model, "validation")] for model, _ in keyed}
        paths: dict[str, dict[str, Any]] = {}
        for ep in self.endpoints:
            paths.setdefault(self.blueprint.url_prefix + ep.path, {})[ep.method.lower()] = (
                self._operation(ep, ref)
            )
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": defs.get("$defs", {}),
                "securitySchemes": {
                    "participantToken": {"type": "http", "scheme": "bearer"},
                    "plannerSession": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
            },
        }

    def _operation(self, ep: Endpoint, ref: dict) -> dict[str, Any]:
        slug = re.sub(r"\W+", "_", ep.path).strip("_")
        op: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": f"{ep.method.lower()}_{slug}",
            "tags": [ep.tag],
            "responses": {},
        }
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": ID_MAX}
                if conv == "int"
                else {"type": "string", "format": "uuid"}
                if conv == "uuid"
                else {"type": "string"},
            }
            for name, conv in ep.path_params
        ]
        if params:
            op["parameters"] = params
        if ep.auth == "participant":
            op["security"] = [{"participantToken": []}]
        elif ep.auth == "planner":
            op["security"] = [{"plannerSession": []}]
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref[ep.body]}},
            }
        if ep.multipart_field:
            op["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": [ep.multipart_field],
                            "properties": {
                                ep.multipart_field: {"type": "string", "format": "binary"}
                            },
                        }
                    }
                },
            }
        for status, (description, model) in ep.responses.items():
            response: dict[str, Any] = {"description": description}
            if model is not None:
                response["content"] = {ep.content_type: {"schema": ref[model]}}
            elif ep.extra.get(status):
                response["content"] = ep.extra[status]
            op["responses"][str(status)] = response
        for status in ep.errors:
            op["responses"][str(status)] = {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": ref[Errors]}},
            }
        return op
