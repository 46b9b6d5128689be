"""``/-/api``: the API's reference, rendered on the server from the OpenAPI document (no script, no
CDN), in the reader's language for everything but the operations' own summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from .openapi import PATHS, SCHEMAS, TAGS, document
from .problems import TYPES

bp = Blueprint("api_reference", __name__, url_prefix="/-")
METHODS = ("get", "put", "post", "delete")


@dataclass(frozen=True)
class Shape:
    """A schema in a few words, and the component it names (for a link), if any."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class Field:
    name: str
    where: str
    required: bool
    shape: Shape
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    needs_token: bool
    parameters: tuple[Field, ...]
    body: Shape | None
    responses: tuple[tuple[str, Shape | None], ...]


def shape(schema: dict[str, Any]) -> Shape:
    """``schema`` in words: its type and limits, or the component it refers to."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return Shape(name, f"schema-{name}")
    if "anyOf" in schema:
        inner = [shape(part) for part in schema["anyOf"] if part.get("type") != "null"]
        return Shape(" | ".join(part.text for part in inner) + " | null", inner[0].link if inner else "")
    kind = schema.get("type", "any")
    if kind == "array":
        inner = shape(schema.get("items", {}))
        return Shape(f"[{inner.text}]", inner.link)
    limits = []
    if "enum" in schema:
        limits.append(" | ".join(str(value) for value in schema["enum"]))
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in schema:
            limits.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        limits.append(schema["pattern"])
    if "format" in schema:
        limits.append(schema["format"])
    return Shape(kind + (f" ({'; '.join(limits)})" if limits else ""))


def _parameter(item: dict[str, Any]) -> Field:
    if "$ref" in item:
        item = document()["components"]["parameters"][item["$ref"].rsplit("/", 1)[1]]
    return Field(item["name"], item["in"], bool(item.get("required")), shape(item["schema"]),
                 item.get("description", ""))


def operations() -> dict[str, list[Operation]]:
    """The operations by tag, in the document's order."""
    found: dict[str, list[Operation]] = {tag["name"]: [] for tag in TAGS}
    for path, item in PATHS.items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = tuple((status, shape(answer["content"][next(iter(answer["content"]))]["schema"])
                               if answer.get("content") else None)
                              for status, answer in op["responses"].items())
            found[op["tags"][0]].append(Operation(
                method=method.upper(), path=path, summary=op["summary"], description=op.get("description", ""),
                anchor=op["operationId"], needs_token={} not in op["security"],
                parameters=tuple(map(_parameter, [*item.get("parameters", []), *op.get("parameters", [])])),
                body=shape(body) if body else None, responses=responses))
    return found


def schemas() -> list[tuple[str, list[Field]]]:
    return [(name, [Field(key, "", key in schema.get("required", []), shape(value), value.get("description", ""))
                    for key, value in schema.get("properties", {}).items()])
            for name, schema in SCHEMAS.items()]


@bp.get("/api")
def reference() -> str:
    return render_template("api/reference.html", operations=operations(), tags=TAGS, schemas=schemas(),
                           problems=TYPES, base=request.host_url.rstrip("/") + "/-/api/v1")
