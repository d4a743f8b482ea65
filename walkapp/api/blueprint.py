"""Blueprint of the JSON API v1 and its one error shape: {"errors": {field: message}}."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from ..services.errors import ServiceError, TooManyAttempts
from .spec import Api

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Api(bp, title="walkapp capture API", version="1")

HTTP_MESSAGES = {
    404: "not found",
    405: "method not allowed",
    413: "the body is over the size limit",
}


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    response = jsonify({"errors": exc.errors})
    response.status_code = exc.status
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = "600"
    return response


def json_http_error(exc: HTTPException):
    """Also registered app-wide for /api/ paths (routing errors never reach the blueprint)."""
    message = HTTP_MESSAGES.get(exc.code or 500, exc.name)
    response = jsonify({"errors": {"body": message}})
    response.status_code = exc.code or 500
    valid_methods = getattr(exc, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response
