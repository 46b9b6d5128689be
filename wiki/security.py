"""Response headers every answer carries, and the one place errors become HTTP answers."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import EditConflict, WikiError

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SECURE_COOKIES"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(WikiError)
    def wiki_error(error: WikiError) -> tuple[str, int]:
        if isinstance(error, EditConflict):  # views handle conflicts; reaching here is a bug
            raise error
        return _error_page(error.code, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return _error_page(400, "The form expired or did not come from this wiki (missing or wrong "
                                "CSRF token). Go back, reload the page and try again; your text is "
                                "still in your browser's back history.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            413: "What you sent is larger than this wiki accepts.",
        }
        message = error.description if error.code == 403 else messages.get(error.code, error.description)
        return _error_page(error.code, message or error.name)

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        return _error_page(500, "Something went wrong on our side. Nothing you typed was saved by this request.")


def _error_page(code: int, message: str) -> tuple[str, int]:
    if request.accept_mimetypes.best == "application/json":
        return {"error": message}, code  # type: ignore[return-value]
    return render_template("error.html", code=code, message=message), code
