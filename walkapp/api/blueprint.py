"""Blueprint of the JSON API v1 and its one error shape:
{"errors": {field: message}, "codes": {field: code}}."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from ..error_messages import error_body
from ..services.errors import Problem, ServiceError, TooManyAttempts
from .spec import Api

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Api(bp, title="walkapp capture API", version="1")

HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    response = jsonify(error_body(exc))
    response.status_code = exc.status
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def json_http_error(exc: HTTPException):
    """Also registered app-wide for /api/ paths (routing errors never reach the blueprint)."""
    status = exc.code or 500
    code = HTTP_CODES.get(status, "http_error")
    problem = Problem(code, limit="64 KB") if code == "body_too_large" else Problem(code)
    refusal = ServiceError({"body": problem})
    refusal.fallbacks = {"body": exc.name}
    response = jsonify(error_body(refusal))
    response.status_code = status
    valid_methods = getattr(exc, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response
