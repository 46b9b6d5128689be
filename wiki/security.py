"""Response headers every answer carries, and the one place errors become HTTP answers."""

from __future__ import annotations

from typing import IO
from urllib.parse import parse_qsl

from flask import Flask, Request, Response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import FormDataParser
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .api.problems import allowed_methods, is_api_request, problem
from .errors import N_, EditConflict, WikiError

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


class InvalidFormEncoding(WikiError):
    code = 400


class StrictFormDataParser(FormDataParser):
    """Form bodies must be UTF-8. werkzeug keeps bytes it cannot decode as literal ``%XX`` text,
    which a save would then store in the page as if the user had typed it."""

    def _parse_urlencoded(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> tuple[IO[bytes], object, object]:
        body = stream.read()
        try:
            items = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise InvalidFormEncoding(N_("The form's text is not valid UTF-8, so it cannot be a wiki page or "
                                         "a field of one. Nothing was saved.")) from error
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> tuple[IO[bytes], object, object]:
        """Uploads: werkzeug decodes the text fields with ``errors="replace"``; a replacement
        character there means the browser sent bytes that are not UTF-8."""
        stream, form, files = super()._parse_multipart(stream, mimetype, content_length, options)
        if any("\ufffd" in value for values in form.listvalues() for value in values):  # type: ignore[attr-defined]
            for upload in files.values():  # type: ignore[attr-defined]
                upload.close()
            raise InvalidFormEncoding(N_("The form's text is not valid UTF-8. Nothing was saved."))
        return stream, form, files


class AsciiIntegerConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits only, at most 18 of them. werkzeug's ``\\d`` also
    matches other scripts' digits (``/-/proposals/１``, full-width, was proposal 1: one thing, two
    addresses), and a longer number overflows the databases' 64-bit integers."""

    regex = r"[0-9]{1,18}"


class WikiRequest(Request):
    form_data_parser_class = StrictFormDataParser


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per set of keys
    rather than on every request (it was a tenth of an anonymous page view's time)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._serializer = cached
        return cached[1]


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address and scheme from the
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` entries they added (never more entries than there
    are proxies, so a client cannot pick its address). The host is not taken from the headers:
    the proxy passes ``Host`` on. With 0 (the default) the headers are ignored."""
    proxies = app.config["TRUSTED_PROXIES"]
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ValueError(f"TRUSTED_PROXIES must be the number of reverse proxies in front (0 or more), "
                         f"not {proxies!r}")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Before any blueprint is registered (its rules take the converters in place then)."""
    app.url_map.converters["int"] = AsciiIntegerConverter
    trust_proxies(app)
    app.request_class = WikiRequest
    app.session_interface = SessionInterface()

    always = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
              ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
              ("Cross-Origin-Opener-Policy", "same-origin")]
    if app.config["SECURE_COOKIES"]:
        always.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        """Add the headers every answer carries; a view may have set a stricter one (attachments)."""
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        headers.extend([(key, value) for key, value in always if key.lower() not in present])
        return response

    @app.errorhandler(WikiError)
    def wiki_error(error: WikiError) -> ResponseReturnValue:
        if isinstance(error, EditConflict):  # views handle conflicts; reaching here is a bug
            raise error
        if is_api_request() and request.blueprint != "api":  # the pages' catch-all took an API address
            if allowed := allowed_methods():
                return problem(405, gettext("This address does not accept that kind of request."),
                               headers={"Allow": allowed})
            return problem(404, gettext("There is no such API operation; see %(url)s.",
                                        url=request.host_url + "-/api"))
        return _error_page(error.code, error.message, error.response_headers())

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return _error_page(400, gettext("The form expired or did not come from this wiki (missing or "
                                        "wrong CSRF token). Go back, reload the page and try again; your "
                                        "text is still in your browser's back history."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue | HTTPException:
        if error.code is None or error.code < 400:
            return error
        messages = {
            404: gettext("There is nothing at this address."),
            405: gettext("This address does not accept that kind of request."),
            413: gettext("What you sent is larger than this wiki accepts."),
        }
        # A view's own description (already translated) is kept; werkzeug's English default is not.
        own = error.description if error.description != type(error).description else None
        message = own or messages.get(error.code) or error.description
        if is_api_request():  # keep Allow (405) and the like; the body is problem+json
            headers = {key: value for key, value in error.get_headers() if key.lower() != "content-type"}
            if error.code == 405:
                headers["Allow"] = allowed_methods()
            return problem(error.code, message or error.name, headers=headers)
        return _error_page(error.code, message or error.name)

    @app.errorhandler(500)
    def server_error(error: Exception) -> ResponseReturnValue:
        return _error_page(500, gettext("Something went wrong on our side. Nothing you typed was saved by "
                                        "this request."))


def _error_page(code: int, message: str, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    if is_api_request():
        return problem(code, message, headers=headers)
    if request.accept_mimetypes.best == "application/json":
        return {"error": message}, code, headers or {}
    return render_template("error.html", code=code, message=message), code, headers or {}
