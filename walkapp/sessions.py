"""The app's session cookie: Flask's signed cookie, kept alive while its user leads an open walk.

A facilitator in the street must not be signed out mid-walk. The planner's sign-in hooks
(planner/auth.py) flag such a session with `KEEP_KEY`, from the database, after each request;
this interface then lifts the cookie's age limits for it. Over HTTPS the cookie is `Secure`.
The app factory installs it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

KEEP_KEY = "keep"  # the user leads an open walk: the session must not expire
# The cookie of a kept session stays in the browser this long after its last request, at least.
# A walk lasts a few hours; the flag is checked again on every request.
KEPT_COOKIE = timedelta(days=2)


class WalkSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose age limit is lifted for a kept session (KEEP_KEY)."""

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value and app.secret_key:
            return self.session_class()  # a phone's API call: no serializer to build
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        too_old = datetime.now(UTC) - signed_at > app.permanent_session_lifetime
        if too_old and not data.get(KEEP_KEY):
            return self.session_class()
        return self.session_class(data)

    def get_cookie_secure(self, app) -> bool:
        """Secure whenever the request came over HTTPS (`walkapp serve --certfile`, or a trusted
        proxy's X-Forwarded-Proto), so the cookie never travels in clear afterwards."""
        return super().get_cookie_secure(app) or request.is_secure

    def get_expiration_time(self, app, session):
        expires = super().get_expiration_time(app, session)
        if expires is not None and session.get(KEEP_KEY):
            expires = max(expires, datetime.now(UTC) + KEPT_COOKIE)
        return expires
