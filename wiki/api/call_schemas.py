"""The calls for input's part of the OpenAPI document (issue 30): their schemas and operations,
merged into ``wiki.api.openapi`` (which would otherwise grow past what one module should hold).

The limits here are the ones :mod:`wiki.store.call_model` enforces, so a body the document
accepts is refused only for what JSON Schema cannot say (bytes rather than characters, an option
the question does not offer, a question the call does not have, a deadline already past).
"""

from __future__ import annotations

from typing import Any

from ..store.call_model import (
    AUDIENCES,
    CONSENTS,
    KINDS,
    MAX_ANSWER_BYTES,
    MAX_DESCRIPTION_BYTES,
    MAX_OPTION_CHARS,
    MAX_OPTIONS,
    MAX_ORGANIZATION_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_SLUG_CHARS,
    MAX_TITLE_CHARS,
    STATES,
)
from .openapi_parts import GROUP, LANGUAGE, PAGING, STRING, STRINGS, TIMESTAMP, nullable, operation, paged, query, ref

QUESTION_ID = {"type": "string", "pattern": "^q[1-9][0-9]{0,3}$", "description": "A question's id: `q1`, `q2`…"}
TRANSLATED = {"type": "object", "additionalProperties": STRING,
              "description": "Translations by language code (`fr`: the text in French)."}
ANSWER = {"anyOf": [
    {"type": "string", "description": "A text question's answer (Markdown), or the one option of a `choice`."},
    {"type": "array", "maxItems": MAX_OPTIONS, "items": {"type": "string", "maxLength": MAX_OPTION_CHARS},
     "description": "The options chosen (`choices`; one for `choice`)."},
    {"type": "null", "description": "No answer."}]}
DATE_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Question": {"type": "object", "required": ["id", "kind", "text", "options"], "properties": {
        "id": QUESTION_ID, "kind": {"type": "string", "enum": list(KINDS)}, "text": STRING,
        "options": STRINGS, "translations": TRANSLATED}},
    "Call": {"type": "object", "required": ["slug", "title", "questions", "deadline", "state", "open"], "properties": {
        "slug": STRING, "title": STRING, "description": {"type": "string", "description": "Markdown."},
        "questions": {"type": "array", "items": ref("Question")},
        "deadline": {**DATE_TIME, "description": "ISO 8601, UTC."}, "deadline_timestamp": TIMESTAMP,
        "audience": {"type": "string", "enum": list(AUDIENCES)}, "state": {"type": "string", "enum": list(STATES)},
        "open": {"type": "boolean", "description": "Whether responses may be sent and changed now."},
        "created": TIMESTAMP, "created_by": STRING, "language": STRING, "titles": TRANSLATED,
        "descriptions": TRANSLATED, "responses": {"type": "integer", "description": "Responses counted so far."},
        "url": {"type": "string", "description": "The call's page in the wiki."}}},
    "QuestionWrite": {"type": "object", "additionalProperties": False, "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS * 4},
        "kind": {"type": "string", "enum": list(KINDS), "default": "text",
                 "description": "`text` (free text), `choice` (one option) or `choices` (any of them)."},
        "options": {"type": "array", "maxItems": MAX_OPTIONS,
                    "items": {"type": "string", "maxLength": MAX_OPTION_CHARS},
                    "description": "At least two for `choice` and `choices`; none for `text`."}}},
    "CallWrite": {"type": "object", "additionalProperties": False, "required": ["title", "questions", "deadline"],
                  "examples": [{"title": "Questionnaire", "deadline": "2999-12-31T17:00:00Z",
                                "questions": [{"text": "What should the mapping cover?", "kind": "text"},
                                              {"text": "Your category", "kind": "choice",
                                               "options": ["Government", "Civil society"]}]}],
                  "properties": {
                      "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
                      "description": {"type": "string", "maxLength": MAX_DESCRIPTION_BYTES,
                                      "description": "Markdown."},
                      "questions": {"type": "array", "minItems": 1, "maxItems": MAX_QUESTIONS,
                                    "items": ref("QuestionWrite"),
                                    "description": "In order; their ids (`q1`, `q2`…) are in the answer."},
                      "deadline": {**DATE_TIME, "maxLength": 40, "description": "ISO 8601 (2026-12-20T17:00Z); "
                                   "without a zone, UTC; a past or malformed one is a 400."},
                      "audience": {"type": "string", "enum": list(AUDIENCES), "default": "users",
                                   "description": "`invited`: also anyone holding the invitation link."},
                      "language": {**LANGUAGE, "default": "en", "description": "The language the call is in."}}},
    "CallResponse": {"type": "object", "required": ["call", "respondent", "group", "consent", "answers"],
                     "properties": {
                         "call": STRING,
                         "respondent": nullable({"type": "string", "description": "The respondent's user name "
                                                 "(or guest id): only where the reader may know who answered."}),
                         "named": {"type": "boolean", "description": "Whether `respondent`, `name` and "
                                   "`organization` are shown: consent `cite`, your own response, or the "
                                   "secretariat reading."},
                         "name": STRING, "organization": STRING, "group": GROUP,
                         "consent": {"type": "string", "enum": list(CONSENTS)}, "language": STRING,
                         "answers": {"type": "object", "additionalProperties": {"anyOf": [STRING, STRINGS]},
                                     "description": "By question id: text, or the options chosen."},
                         "submitted": TIMESTAMP, "updated": TIMESTAMP,
                         "late": {"type": "boolean", "description": "First sent after the deadline."},
                         "pending": {"type": "boolean", "description": "Late and not (yet) accepted by the "
                                     "secretariat: not counted."},
                         "guest": {"type": "boolean", "description": "Sent by an invited guest, who gave their "
                                   "name and chose their group themselves (no account vouches for them)."}}},
    "ResponseWrite": {"type": "object", "additionalProperties": False, "required": ["answers", "consent"],
                      "examples": [{"answers": {"q1": "More on *access*.", "q2": "Civil society"}, "consent": "cite",
                                    "organization": "An example NGO", "language": "fr"}],
                      "properties": {
                          "answers": {"type": "object", "maxProperties": MAX_QUESTIONS,
                                      "propertyNames": QUESTION_ID, "additionalProperties": ANSWER,
                                      "description": f"By question id; each text answer at most "
                                      f"{MAX_ANSWER_BYTES:,} bytes."},
                          "organization": {"type": "string", "maxLength": MAX_ORGANIZATION_CHARS},
                          "consent": {"type": "string", "enum": list(CONSENTS),
                                      "description": "`cite`: may be quoted by name; `aggregate`: counted and "
                                      "quoted without a name."},
                          "language": {**LANGUAGE, "default": "en", "description": "The language you answer in."}}},
    "Calls": paged("Call"),
    "CallResponses": paged("CallResponse"),
}

SLUG = {"name": "slug", "in": "path", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_SLUG_CHARS,
                   "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "examples": ["questionnaire"]},
        "description": "The call's name in URLs."}
SECRETARIAT = "Needs a `write` token of a member of the secretariat (an editor or more) or of an admin."

PATHS: dict[str, dict[str, Any]] = {
    "/calls": {
        "get": operation("list_calls", "Calls for input, the latest deadline first", "calls", ok=(200, "Calls"),
                         parameters=[query("state", {"type": "string", "enum": list(STATES)},
                                           "Only calls in this state."), *PAGING]),
        "post": {**operation("create_call", "Open a call for input: questions, a deadline, who may answer",
                             "calls", ok=(201, "Call"), body="CallWrite", write=True), "description": SECRETARIAT},
    },
    "/calls/{slug}": {"parameters": [SLUG],
                      "get": operation("read_call", "A call: its text, questions and deadline", "calls",
                                       ok=(200, "Call"))},
    "/calls/{slug}/responses": {
        "parameters": [SLUG],
        "get": operation("list_responses", "A call's responses, in the order they came; names only where the "
                         "respondent consented (`cite`)", "calls", ok=(200, "CallResponses"), parameters=[
                             query("group", {"type": "string", "maxLength": 64}, "Only this stakeholder group."),
                             query("language", LANGUAGE, "Only responses in this language."),
                             query("q", {"type": "string", "maxLength": 200}, "Only responses with all these words."),
                             *PAGING])},
    "/calls/{slug}/responses/mine": {
        "parameters": [SLUG],
        "get": operation("read_my_response", "Your own response to a call", "calls", ok=(200, "CallResponse")),
        "put": operation("submit_response", "Send your response, or change it until the deadline (a change after "
                         "it, or to a closed call, is a 409)", "calls", ok=(200, "CallResponse"),
                         also=(201, "CallResponse"), body="ResponseWrite", write=True, role="reader",
                         statuses=(409,), limit="LIMIT_RESPONSES_PER_HOUR"),
    },
}

TAG = {"name": "calls", "description": "Calls for input: questions with a deadline, and the responses to them."}
