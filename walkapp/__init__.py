"""walkapp: the field tool of gender-sensitive urban planning."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .csp import content_security_policy
from .resources import resource_dir
from .unit_of_work import UnitOfWorkFlask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from . import (
        appropriation_jobs,
        export_jobs,
        health,
        i18n,
        jobs,
        pages,
        report_jobs,
        request_log,
        zone_jobs,
    )
    from .api import bp as api_bp
    from .api import json_http_error
    from .config import default_settings, engine_options, persistent_secret_key, settings_from_env
    from .error_messages import error_body
    from .extensions import IdConverter, csrf, db, login_manager, migrate
    from .ratelimit import LIMITER_KEY, FailureLimiter, Limit, store_from_uri
    from .services.errors import ServiceError
    from .services.photo_store import PhotoStore
    from .sessions import WalkSessionInterface

    config = dict(config or {})
    instance_path = str(
        Path(
            config.pop("INSTANCE_PATH", None)
            or os.environ.get("WALKAPP_INSTANCE_PATH")
            or Path.cwd() / "instance"
        ).resolve()
    )
    # Each view runs as one unit of work: it commits once, or rolls back (unit_of_work.py).
    app = UnitOfWorkFlask(
        __name__,
        instance_path=instance_path,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.url_map.converters["int"] = IdConverter
    request_log.init_app(app)  # one line per request, nothing personal in it
    app.config.update(default_settings(instance_path))
    app.config.update(settings_from_env())
    app.config.update(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies: the phone's address (failure limits), https (Secure cookie,
        # HSTS) and host come from their X-Forwarded-* headers, never from anyone else's.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = persistent_secret_key(instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF cannot apply
    login_manager.init_app(app)
    app.session_interface = WalkSessionInterface()
    i18n.init_app(app)
    join_limit = Limit.parse(app.config["JOIN_FAILURE_LIMIT"])
    app.extensions[LIMITER_KEY] = FailureLimiter(
        store_from_uri(app.config["RATELIMIT_STORAGE_URI"], instance_path),
        {
            "join": join_limit,
            "erasure": join_limit,
            "login-address": Limit.parse(app.config["LOGIN_FAILURE_LIMIT"]),
            "login-account": Limit.parse(app.config["LOGIN_ACCOUNT_FAILURE_LIMIT"]),
        },
    )

    jobs.init_app(app)  # the background jobs' queue (huey: SQLite file, or Redis)
    assert export_jobs.build_export  # the exports' and the annex's job kinds, registered on import
    assert report_jobs.build_report  # the monitoring report's job kind
    assert zone_jobs.build_zones  # re-attaching the spots to the zones
    assert appropriation_jobs.build_appropriation  # the appropriation index's figures
    app.register_blueprint(api_bp)
    pages.init_app(app)
    health.init_app(app)  # /healthz, polled by the proxy
    _compress_responses(app)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return json_http_error(exc)
        return pages.error_page(exc)

    @app.errorhandler(ServiceError)
    def refusal(exc: ServiceError):
        """A refusal no view words itself: the API's error shape, or a page with its sentence."""
        if request.path.startswith("/api/"):
            return jsonify(error_body(exc)), exc.status
        return pages.refusal_page(exc)

    _register_request_rules(app)
    PhotoStore(app.config["PHOTO_DIR"]).sweep_uploads()  # uploads a killed worker left half-written
    return app


def _compress_responses(app: Flask) -> None:
    """Brotli or gzip for text (HTML, CSS, JS, JSON): the participant app's 150 KB budget."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    compress = Compress(app)
    compress.compress_mimetypes_set.add("application/geo+json")
    text_types = compress.compress_mimetypes_set

    @app.after_request
    def read_text_files_whole(response):
        # Runs before flask-compress (registered after it). flask-compress compresses a file
        # response chunk by chunk and never closes the file; read small text files first.
        length = response.content_length or 0
        if response.direct_passthrough and response.mimetype in text_types and length < 2**21:
            body = response.response
            try:
                data = b"".join(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
            response.direct_passthrough = False
            response.set_data(data)
        if _versioned_file(response) and _choose_br(request.headers.get("Accept-Encoding", "")):
            # A file whose URL carries its version never changes: brotli's best level, once
            # per process (about 10 % smaller than flask-compress's level 5, which suits
            # pages made per request). flask-compress leaves an encoded response alone.
            response.set_data(_best_brotli(response.get_data()))
            response.headers["Content-Encoding"] = "br"
        return response


def _versioned_file(response) -> bool:
    """The app's modules in their version's folder, and static or Leaflet files with ?v=."""
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return False
    if request.endpoint == "participate.module":
        return "immutable" in response.headers.get("Cache-Control", "")
    return bool(request.args.get("v")) and request.endpoint in ("static", "participate.leaflet")


def _choose_br(accept_encoding: str) -> bool:
    from werkzeug.http import parse_accept_header  # with its q-values: "br;q=0" is a no

    return parse_accept_header(accept_encoding)["br"] > 0


@functools.lru_cache(maxsize=128)  # the app's few dozen versioned files, compressed once each
def _best_brotli(data: bytes) -> bytes:
    import brotli

    return brotli.compress(data, quality=11)


HSTS = "max-age=31536000"  # a year; not includeSubDomains: the authority's other sites are theirs


def _register_request_rules(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            # Browsers that once reached the app over HTTPS never try plain HTTP again.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", content_security_policy(app))
        return response
