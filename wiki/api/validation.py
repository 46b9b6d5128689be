"""Every API request checked against the OpenAPI document before its view runs: query parameters
(types, ranges, enumerations; unknown or repeated ones refused) and the JSON body (its media type,
its syntax and its schema). What passes is handed to the view as plain Python values, so views
do not re-parse, and the document cannot promise what the code does not check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import request
from flask_babel import gettext as _

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

from ..errors import N_, WikiError
from .openapi import document, operations
from .problems import problem

DOCUMENT_URI = "urn:living-wiki:openapi"
INTEGER_RE = re.compile(r"\A-?[0-9]{1,18}\Z")
MAX_JSON_DEPTH = 32  # arrays and objects inside each other; the API's bodies need three
JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
JSON_BRACKET_RE = re.compile(r"[\[\]{}]")


class InvalidJSON(WikiError):
    """A body that is not JSON the API accepts (the message says why, in the caller's language;
    the parser's own reason stays English, as a detail)."""


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped), counted without recursion."""
    deepest = depth = 0
    for bracket in JSON_BRACKET_RE.findall(JSON_STRING_RE.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise InvalidJSON(N_("The body names the member %(name)s twice in one object."), name=repr(twice))
    return found


def _no_constant(name: str) -> Any:
    raise InvalidJSON(N_("The body is not valid JSON: %(name)s is not a JSON value."), name=name)


def parse_json(raw: bytes) -> Any:
    """The body's value: UTF-8 JSON, nested at most :data:`MAX_JSON_DEPTH` deep (the parser and the
    schema checks recurse), each object's member names once, no ``NaN``/``Infinity``.

    :raises InvalidJSON: otherwise, saying why.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidJSON(N_("The body is not valid JSON in UTF-8: %(reason)s"), reason=str(error)) from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InvalidJSON(N_("The body nests arrays and objects more than %(limit)s levels deep."),
                          limit=MAX_JSON_DEPTH)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # the hooks' InvalidJSON is no ValueError: it passes
        raise InvalidJSON(N_("The body is not valid JSON in UTF-8: %(reason)s"), reason=str(error)) from None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Contract:
    """What one operation accepts."""

    parameters: tuple[Parameter, ...]
    query: Draft202012Validator
    body: Draft202012Validator | None


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resource(DOCUMENT_URI, Resource(contents=document(), specification=DRAFT202012))


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # jsonschema is imported at the first API request, not at start (~50 ms of every cold start).
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema},
                                registry=_registry())


def _resolve(item: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in item:
        return document()["components"]["parameters"][item["$ref"].rsplit("/", 1)[1]]
    return item


def _absolute(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``#/...`` references pointing into the registered document."""
    text = json.dumps(schema).replace('"$ref": "#/', f'"$ref": "{DOCUMENT_URI}#/')
    return json.loads(text)


@cache
def contract(endpoint: str) -> Contract:
    path, method, op = operations()[endpoint]
    shared = document()["paths"][path].get("parameters", [])
    parameters = tuple(Parameter(p["name"], p["in"], bool(p.get("required")), p["schema"])
                       for p in map(_resolve, [*shared, *op.get("parameters", [])]))
    queries = [p for p in parameters if p.location == "query"]
    query_schema = {"type": "object", "additionalProperties": False,
                    "properties": {p.name: _absolute(p.schema) for p in queries},
                    "required": [p.name for p in queries if p.required]}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    return Contract(parameters, _validator(query_schema), _validator(_absolute(body)) if body else None)


def _messages(validator: Draft202012Validator, value: object, where: str) -> list[str]:
    errors = sorted(validator.iter_errors(value), key=lambda error: list(error.absolute_path))
    return [f"{where}{''.join(f'.{part}' for part in error.absolute_path)}: {error.message}"[:300]
            for error in errors[:10]]


def _typed(value: str, schema: dict[str, Any]) -> object:
    """A query string value as the type its schema names (left as text when it does not parse)."""
    if schema.get("type") == "integer" and INTEGER_RE.match(value):
        return int(value)
    return value


def check_request(endpoint: str) -> tuple[dict[str, Any], Any] | Any:
    """``(query, body)`` as checked values, or a problem answer saying what is wrong."""
    rules = contract(endpoint)
    by_name = {p.name: p for p in rules.parameters if p.location == "query"}
    query: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if len(values) > 1:
            return problem(400, _("The parameter %(name)s was given more than once.", name=repr(name)))
        schema = by_name[name].schema if name in by_name else {}
        query[name] = _typed(values[0], schema)
    errors = _messages(rules.query, query, "query")
    if errors:
        return problem(400, _("The query parameters do not match the API description: %(errors)s",
                              errors="; ".join(errors)), errors=errors)
    body = None
    if rules.body is not None:
        if request.mimetype != "application/json":
            return problem(415, _("Send the body as JSON, with Content-Type: application/json."))
        raw = request.get_data(cache=True)  # raises 413 beyond the body limit
        try:
            body = parse_json(raw)
        except InvalidJSON as error:
            return problem(400, error.message)
        errors = _messages(rules.body, body, "body")
        if errors:
            return problem(400, _("The body does not match the API description: %(errors)s", errors="; ".join(errors)),
                           errors=errors)
    return query, body
