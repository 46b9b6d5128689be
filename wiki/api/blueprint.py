"""The API's blueprint under ``/-/api/v1``: every request is authenticated and checked against the
OpenAPI document first (``wiki.api.access``); the operations live in ``pages``, ``document`` and
``proposals`` beside this module, the document itself at ``/-/api/v1/openapi.json``."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from .access import authenticate
from .caching import read
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/-/api/v1")
bp.before_request(authenticate)


def query(name: str, default: object = None) -> object:
    """A checked query parameter (see ``wiki.api.validation``)."""
    return g.api_query.get(name, default)


def paging() -> tuple[int, int]:
    return int(g.api_query.get("offset", 0)), int(g.api_query.get("limit", 50))


def body() -> dict[str, object]:
    return g.api_body


@bp.get("/openapi.json")
def openapi() -> Response:
    return read(lambda: document(request.script_root + bp.url_prefix), by_token=False)
