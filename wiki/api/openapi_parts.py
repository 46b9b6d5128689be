"""The building blocks of the OpenAPI document (``wiki.api.openapi``): the common schemas, the
shared parameters' references, and one operation's shape (its answers, security and limits), so
the document and the parts of it kept in modules of their own (``call_schemas``) are written alike."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
PROBLEM = "application/problem+json"

# --------------------------------------------------------------------------- reusable schemas


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-f]{40}$", "description": "A full Git object id."}
TIMESTAMP = {"type": "integer", "description": "Seconds since 1970-01-01 UTC."}
GROUP = {"type": "string", "description": "A stakeholder group's slug (`\"\"` when unattributed)."}
LANGUAGE = {"type": "string", "enum": ["ar", "zh", "en", "fr", "ru", "es"]}
REVISION_PATTERN = "^[0-9A-Za-z][0-9A-Za-z-]{3,63}$"
REVISION = {"type": "string", "pattern": REVISION_PATTERN,
            "description": "A commit id (4 to 40 hexadecimal digits) or a named version."}
PAGE_NAME = {"type": "string", "minLength": 1, "maxLength": 200,
             "description": "A page path: `/`-separated sections and a name, spaces written as underscores."}


def paged(item: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "offset", "limit", "next"], "properties": {
        "items": {"type": "array", "items": ref(item)},
        "offset": INT, "limit": INT,
        "total": {"type": "integer", "description": "How many items in all, when known."},
        "next": nullable({"type": "string", "description": "The URL of the next page of items, or null."}),
    }}


def param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


PAGING = [param("offset"), param("limit")]

# --------------------------------------------------------------------------- operations

READ_SECURITY: list[dict[str, list[str]]] = [{}, {"bearerToken": []}]  # anonymous reads when PUBLIC_READ is on
WRITE_SECURITY: list[dict[str, list[str]]] = [{"bearerToken": []}]


def operation(endpoint: str, summary: str, tag: str, *, ok: tuple[int, str], parameters: list[Any] | None = None,
              body: str | None = None, write: bool = False, role: str = "", statuses: tuple[int, ...] = (),
              also: tuple[int, str] | None = None, limit: str = "") -> dict[str, Any]:
    """One operation; every one may also answer any problem (``default``). ``also``: a second
    success (a creation's 201); ``limit``: the setting that limits it per user and hour."""
    status, schema = ok
    responses: dict[str, Any] = {str(status): {"description": "Success.", "content": {JSON: {"schema": ref(schema)}}}}
    if also:
        responses[str(also[0])] = {"description": "Created.", "content": {JSON: {"schema": ref(also[1])}}}
    if not write:
        responses["304"] = {"description": "Not modified: the `ETag` sent in `If-None-Match` is current."}
        responses[str(status)]["headers"] = {"ETag": {"schema": STRING, "description": "Send back in `If-None-Match`."}}
    for code in statuses:
        responses[str(code)] = {"description": "A problem.", "content": {PROBLEM: {"schema": ref("Problem")}}}
    responses["default"] = {"description": "A problem (RFC 9457).", "content": {PROBLEM: {"schema": ref("Problem")}}}
    # A request line over gunicorn's limit (8,190 bytes) is refused by the HTTP server before it
    # reaches the wiki, with its own short HTML page.
    responses["414"] = {"description": "URI too long: refused by the HTTP server, before the API.",
                        "content": {"text/html": {"schema": STRING}}}
    result: dict[str, Any] = {"operationId": endpoint, "summary": summary, "tags": [tag],
                              "parameters": parameters or [], "responses": responses,
                              "security": WRITE_SECURITY if write else READ_SECURITY}
    if role:
        result["description"] = f"Needs a `write` token of a user with the role `{role}`."
    if limit:
        result["description"] = (result.get("description", "") + f" At most `{limit}` per user and hour (admins "
                                 "excepted); past that, a `too-many-requests` problem (429) with `Retry-After`.")
    if body:
        result["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(body)}}}
    return result
