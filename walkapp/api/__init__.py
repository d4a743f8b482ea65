"""JSON API v1 (capture API of DESIGN.md) and its OpenAPI document."""

from . import routes  # registers the views
from .blueprint import api, bp, json_http_error

__all__ = ["api", "bp", "json_http_error", "routes"]
