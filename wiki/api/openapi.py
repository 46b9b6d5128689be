"""The OpenAPI 3.1 document of the JSON API: the one description of every operation, its
parameters, bodies and answers.

It is data, built once here, and it is the contract in both directions: ``wiki.api.validation``
checks every request's parameters and body against it before a view runs, the reference page
``/-/api`` is rendered from it, and tests/test_api.py checks that its paths and the app's API
routes are the same set (operationId = the view's endpoint name).
"""

from __future__ import annotations

import copy
from typing import Any

from ..store.comment_model import KINDS
from . import call_schemas
from .openapi_parts import (
    BOOL,
    GROUP,
    INT,
    JSON,
    LANGUAGE,
    OBJECT_ID,
    PAGE_NAME,
    PAGING,
    PROBLEM,
    READ_SECURITY,
    REVISION,
    STRING,
    STRINGS,
    TIMESTAMP,
    nullable,
    operation,
    paged,
    param,
    query,
    ref,
)

API_VERSION = "1.0.0"
SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
        "type": {"type": "string", "format": "uri"}, "title": STRING, "status": INT, "detail": STRING,
        "errors": STRINGS,
        "merged_text": STRING, "their_text": STRING, "base_text": STRING, "head": STRING,
        "new_page": nullable(STRING)}},
    "Commit": {"type": "object", "required": ["id", "author_name", "timestamp", "subject", "group", "username"],
               "properties": {
                   "id": OBJECT_ID, "author_name": STRING, "author_email": STRING, "timestamp": TIMESTAMP,
                   "time": {"type": "string", "format": "date-time"}, "subject": STRING, "group": GROUP,
                   "username": STRING, "parents": {"type": "array", "items": OBJECT_ID},
                   "path": {"type": "string", "description": "The file it touched (page history)."},
                   "proposal": {"type": "string", "description": "The proposal it was made in or merged."}}},
    "PageSummary": {"type": "object", "required": ["page", "title"], "properties": {"page": STRING, "title": STRING}},
    "Page": {"type": "object", "required": ["page", "title", "text", "html", "revision", "blob_id", "language"],
             "properties": {
                 "page": STRING, "title": STRING, "language": STRING,
                 "text": {"type": "string", "description": "The Markdown source."},
                 "html": {"type": "string", "description": "The rendered, sanitized HTML."},
                 "revision": {**OBJECT_ID, "description": "The commit read; send it as `base` to update."},
                 "blob_id": {**OBJECT_ID, "description": "The Git blob id of the text."},
                 "last_change": nullable(ref("Commit")),
                 "languages": {"type": "array", "items": STRING, "description": "Languages it has versions in."}}},
    "PageWrite": {"type": "object", "additionalProperties": False, "required": ["text"], "properties": {
        "text": {"type": "string", "maxLength": 2_000_000},
        "base": nullable({**REVISION, "description": "The revision the text was made from (required to update)."}),
        "summary": {"type": "string", "maxLength": 200, "description": "The commit message's subject."}}},
    "SaveResult": {"type": "object", "required": ["page", "commit", "merged"], "properties": {
        "page": STRING, "commit": nullable(OBJECT_ID), "merged": BOOL,
        "revision": nullable(OBJECT_ID), "created": BOOL}},
    "Rename": {"type": "object", "additionalProperties": False, "required": ["new_name"], "properties": {
        "new_name": PAGE_NAME, "summary": {"type": "string", "maxLength": 200}}},
    "Renamed": {"type": "object", "required": ["page", "old_page", "commit"], "properties": {
        "page": STRING, "old_page": STRING, "commit": OBJECT_ID}},
    "Deleted": {"type": "object", "required": ["page", "commit"], "properties": {"page": STRING, "commit": OBJECT_ID}},
    "DiffSegment": {"type": "object", "required": ["text", "changed"], "properties": {"text": STRING, "changed": BOOL}},
    "DiffLine": {"type": "object", "required": ["kind", "segments"], "properties": {
        "kind": {"type": "string", "enum": ["context", "added", "removed"]},
        "old_number": nullable(INT), "new_number": nullable(INT),
        "segments": {"type": "array", "items": ref("DiffSegment")}}},
    "Diff": {"type": "object", "required": ["page", "from", "to", "added", "removed", "hunks"], "properties": {
        "page": STRING, "from": nullable(OBJECT_ID), "to": OBJECT_ID, "added": INT, "removed": INT,
        "truncated": BOOL, "coarse": BOOL,
        "hunks": {"type": "array", "items": {"type": "array", "items": ref("DiffLine")}}}},
    "BlameBlock": {"type": "object", "required": ["commit", "start", "lines"], "properties": {
        "commit": ref("Commit"), "start": INT, "lines": STRINGS}},
    "GroupShare": {"type": "object", "required": ["group", "lines", "percent"], "properties": {
        "group": GROUP, "lines": INT, "percent": {"type": "number"}}},
    "Blame": {"type": "object", "required": ["page", "revision", "total_lines", "shares", "blocks"], "properties": {
        "page": STRING, "revision": OBJECT_ID, "total_lines": INT,
        "shares": {"type": "array", "items": ref("GroupShare")},
        "blocks": {"type": "array", "items": ref("BlameBlock")}}},
    "FileChange": {"type": "object", "required": ["status", "page"], "properties": {
        "status": {"type": "string", "enum": ["added", "removed", "renamed", "changed"]},
        "page": STRING, "old_page": STRING}},
    "Change": {"type": "object", "required": ["commit", "files"], "properties": {
        "commit": ref("Commit"), "files": {"type": "array", "items": ref("FileChange")}}},
    "ComparedPage": {"type": "object", "required": ["status", "page", "groups"], "properties": {
        "status": STRING, "page": STRING, "old_page": STRING, "groups": STRINGS,
        "old_blob": nullable(OBJECT_ID), "new_blob": nullable(OBJECT_ID)}},
    "Comparison": {"type": "object", "required": ["from", "to", "items", "offset", "limit", "next"], "properties": {
        "from": OBJECT_ID, "to": OBJECT_ID, "items": {"type": "array", "items": ref("ComparedPage")},
        "offset": INT, "limit": INT, "total": INT, "next": nullable(STRING)}},
    "SearchHit": {"type": "object", "required": ["page", "title", "snippet"], "properties": {
        "page": STRING, "title": STRING, "section": STRING, "language": STRING,
        "snippet": {"type": "array", "items": {"type": "object", "required": ["text", "highlighted"],
                                               "properties": {"text": STRING, "highlighted": BOOL}}}}},
    "Version": {"type": "object", "required": ["name", "title", "commit"], "properties": {
        "name": STRING, "title": STRING, "commit": OBJECT_ID, "tagger": STRING, "timestamp": TIMESTAMP,
        "group": GROUP, "username": STRING}},
    "VersionWrite": {"type": "object", "additionalProperties": False, "required": ["title"], "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "name": {"type": "string", "maxLength": 64, "description": "Made from the title when absent."},
        "rev": nullable({**REVISION, "description": "The commit to mark (default: the current one)."})}},
    "GroupEndorsement": {"type": "object", "required": ["group", "current", "commit", "action"], "properties": {
        "group": GROUP, "current": BOOL, "commit": OBJECT_ID, "username": STRING, "timestamp": TIMESTAMP,
        "action": STRING}},
    "PageEndorsements": {"type": "object", "required": ["page", "status", "consensus", "groups"], "properties": {
        "page": STRING, "status": {"type": "string", "enum": ["consensus", "partly endorsed", "stale", "not endorsed"]},
        "consensus": BOOL, "last_consensus": nullable(OBJECT_ID), "missing": STRINGS, "not_endorsing": STRINGS,
        "groups": {"type": "array", "items": ref("GroupEndorsement")}}},
    "EndorseWrite": {"type": "object", "additionalProperties": False, "required": ["action", "rev"], "properties": {
        "action": {"type": "string", "enum": ["endorse", "withdraw"]},
        "rev": {**REVISION, "description": "The revision read (its last change); refused if the page moved on."}}},
    "Endorsement": {"type": "object", "required": ["page", "group", "action", "commit"], "properties": {
        "page": STRING, "group": GROUP, "username": STRING, "action": STRING, "commit": OBJECT_ID,
        "timestamp": TIMESTAMP}},
    "TranslationState": {"type": "object", "required": ["page", "language", "state"], "properties": {
        "page": STRING, "language": STRING, "state": {"type": "string", "enum": ["up to date", "outdated", "missing"]},
        "blob": nullable(OBJECT_ID), "source_commit": nullable(OBJECT_ID), "source_blob": nullable(OBJECT_ID)}},
    "TranslationsOfPage": {"type": "object", "required": ["page", "source_language", "versions"], "properties": {
        "page": STRING, "source_language": STRING, "versions": {"type": "array", "items": ref("TranslationState")}}},
    "Consensus": {"type": "object", "required": ["holds", "endorsing", "objecting", "missing", "stale"], "properties": {
        "holds": BOOL, "endorsing": STRINGS, "missing": STRINGS, "stale": STRINGS,
        "objecting": {"type": "array", "items": {"type": "object", "properties": {"group": GROUP, "reason": STRING}}}}},
    "ProposalEvent": {"type": "object", "required": ["kind", "user", "group", "time"], "properties": {
        "kind": STRING, "user": STRING, "group": GROUP, "time": TIMESTAMP, "head": STRING, "text": STRING}},
    "Proposal": {"type": "object", "required": ["number", "title", "state", "author", "group", "base", "head"],
                 "properties": {
                     "number": INT, "title": STRING, "state": {"type": "string", "enum": ["open", "merged", "closed"]},
                     "author": STRING, "group": GROUP, "created": TIMESTAMP, "base": OBJECT_ID, "head": OBJECT_ID,
                     "merged_commit": STRING, "closed_reason": STRING, "consensus": ref("Consensus"),
                     "deadline": nullable(STRING), "procedure": {"type": "string", "enum": ["consensus", "silence"]},
                     "rationale": STRING, "events": {"type": "array", "items": ref("ProposalEvent")},
                     "drafters": {"type": "array", "items": {"type": "object", "properties": {
                         "user": STRING, "group": GROUP}}},
                     "pages": {"type": "array", "items": {"type": "object", "properties": {
                         "page": STRING, "status": STRING}}},
                     "behind": INT, "conflicts": STRINGS}},
    "ProposalWrite": {"type": "object", "additionalProperties": False, "required": ["title"], "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "rationale": {"type": "string", "maxLength": 100_000},
        "deadline": {"type": "string", "maxLength": 40, "description": "for positions, ISO 8601 (2026-12-20T17:00Z); "
                     "a date alone is the end of that day, UTC; a past or malformed one is a 400"},
        "procedure": {"type": "string", "enum": ["consensus", "silence"],
                      "description": "silence: adopted at the deadline unless a group objects before it"}}},
    "CommentWrite": {"type": "object", "additionalProperties": False, "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 100_000}}},
    "PositionWrite": {"type": "object", "additionalProperties": False, "required": ["action", "rev"], "properties": {
        "action": {"type": "string", "enum": ["endorse", "object", "withdraw"]},
        "rev": {**REVISION, "description": "The proposal head read; refused if it moved on."},
        "reason": {"type": "string", "maxLength": 10_000, "description": "Needed to object."}}},
    "MergeWrite": {"type": "object", "additionalProperties": False, "properties": {
        "reason": {"type": "string", "maxLength": 500,
                   "description": "An admin's reason to merge without consensus."}}},
    "Merged": {"type": "object", "required": ["number", "commit"], "properties": {"number": INT, "commit": OBJECT_ID}},
    "Anchor": {"type": "object", "required": ["rev", "blob", "quote", "position"], "properties": {
        "rev": OBJECT_ID, "blob": OBJECT_ID, "quote": STRING, "prefix": STRING, "suffix": STRING, "position": INT}},
    "ThreadEntry": {"type": "object", "required": ["event", "user", "group", "time"], "properties": {
        "event": {"type": "string", "enum": ["create", "reply", "resolve", "reopen", "move", "hide", "unhide"],
                  "description": "`hide`: hidden as spam by a moderator (`text`: the reason); `unhide`: shown "
                  "again."}, "user": STRING,
        "group": GROUP, "time": TIMESTAMP, "text": STRING, "page": STRING}},
    "Thread": {"type": "object", "required": ["number", "page", "kind", "state", "anchor", "entries"], "properties": {
        "number": INT, "page": STRING, "proposal": nullable(INT), "kind": {"type": "string", "enum": list(KINDS)},
        "state": {"type": "string", "enum": ["open", "resolved"]},
        "hidden": {"type": "boolean", "description": "Hidden as spam: listed for the secretariat and admins only."},
        "author": STRING, "group": GROUP,
        "updated": TIMESTAMP,
        "outdated": {"type": "boolean", "description": "The passage is no longer in the current text."},
        "pending": {"type": "boolean", "description": "Not placed yet: finding the passage in the current text "
                    "took longer than one request may spend; the wiki finishes in the background, ask again."},
        "passage": {"type": "string", "description": "The passage as it reads now (as quoted when outdated or "
                    "pending)."},
        "paragraph": {"type": "integer", "description": "The paragraph it starts in (0 when outdated or pending)."},
        "anchor": ref("Anchor"), "entries": {"type": "array", "items": ref("ThreadEntry")}}},
    "ThreadWrite": {"type": "object", "additionalProperties": False, "required": ["page", "rev", "text"],
                    "properties": {
                        "page": PAGE_NAME,
                        "rev": {**REVISION, "description": "The revision read (the `revision` of a page read)."},
                        "quote": {"type": "string", "maxLength": 2000, "description": "The passage commented on."},
                        "occurrence": {"type": "integer", "minimum": 1, "maximum": 100_000,
                                       "description": "Which one, when the quote appears several times."},
                        "paragraph": {"type": "integer", "minimum": 1, "maximum": 100_000,
                                      "description": "A whole paragraph instead of a quote."},
                        "kind": {"type": "string", "enum": list(KINDS), "default": "comment"},
                        "text": {"type": "string", "minLength": 1, "maxLength": 20_000},
                        "proposal": nullable({"type": "integer", "minimum": 1, "maximum": 99_999_999})}},
    "ReplyWrite": {"type": "object", "additionalProperties": False, "required": ["text"], "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 20_000}}},
    "VisibilityWrite": {"type": "object", "additionalProperties": False, "required": ["hidden"], "properties": {
        "hidden": {"type": "boolean", "description": "true: hide the thread as spam; false: show it again."},
        "reason": {"type": "string", "maxLength": 500, "description": "Recorded in the thread's history."}}},
}
for _name, _item in (("PageList", "PageSummary"), ("History", "Commit"), ("Changes", "Change"),
                     ("SearchResults", "SearchHit"), ("Versions", "Version"), ("Proposals", "Proposal"),
                     ("EndorsementOverview", "PageEndorsements"), ("TranslationOverview", "TranslationState"),
                     ("Threads", "Thread")):
    SCHEMAS[_name] = paged(_item)
SCHEMAS["SearchResults"]["properties"]["query"] = STRING
SCHEMAS["SearchResults"]["properties"]["indexing"] = {
    "type": "boolean", "description": "True while the search index is being brought up to date (after a start, an "
    "import or a large push): the items come from what is indexed so far and may miss pages changed recently."}
SCHEMAS["SearchResults"]["required"] = [*SCHEMAS["SearchResults"]["required"], "indexing"]
SCHEMAS.update(call_schemas.SCHEMAS)

# --------------------------------------------------------------------------- parameters

PARAMETERS: dict[str, Any] = {
    "page": {"name": "page", "in": "path", "required": True, "schema": {**PAGE_NAME, "examples": ["Home", "Mandate"]},
             "description": "The page, e.g. `Mapping/Cybersecurity` (its `/` need not be escaped)."},
    "number": {"name": "number", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 99_999_999},
               "description": "A proposal's or a comment thread's number."},
    "rev": {"name": "rev", "in": "query", "schema": REVISION, "description": "A commit id or version name; "
            "default: the current text."},
    "lang": {"name": "lang", "in": "query", "schema": LANGUAGE, "description": "A language version."},
    "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000,
                                                           "default": 0}, "description": "Items to skip."},
    "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                         "default": 50}, "description": "Items per answer."},
    "section": {"name": "section", "in": "query", "schema": {"type": "string", "maxLength": 200},
                "description": "Only pages in this section (folder)."},
}


DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
CHANGE_FILTERS = [
    query("group", {"type": "string", "maxLength": 64}, "Commits made for this stakeholder group (slug)."),
    query("user", {"type": "string", "maxLength": 40}, "Commits by this user name."),
    query("page", {"type": "string", "maxLength": 200}, "Commits that touched this page."),
    param("section"),
    query("since", DATE, "From this day (YYYY-MM-DD, UTC)."),
    query("until", DATE, "Until this day, inclusive."),
]

PATHS: dict[str, dict[str, Any]] = {
    "/pages": {"get": operation("list_pages", "All pages, sorted", "pages", ok=(200, "PageList"),
                                parameters=[param("rev"), param("section"), *PAGING])},
    "/pages/{page}": {
        "parameters": [param("page")],
        "get": operation("read_page", "A page: its text, rendered HTML, revision and blob id", "pages",
                         ok=(200, "Page"), parameters=[param("rev"), param("lang")]),
        "put": operation("save_page", "Create a page, or update it from a base revision (three-way merge)",
                         "pages", ok=(200, "SaveResult"), also=(201, "SaveResult"), body="PageWrite", write=True,
                         role="editor", statuses=(409, 422, 428), parameters=[
                             query("proposal", {"type": "integer", "minimum": 1, "maximum": 99_999_999},
                                   "Save in this open proposal (its branch); the agreed text stays as it is.")]),
        "delete": operation("delete_page", "Delete a page (its history stays)", "pages", ok=(200, "Deleted"),
                            write=True, role="editor",
                            parameters=[query("summary", {"type": "string", "maxLength": 200}, "The commit message.")]),
    },
    "/rename/{page}": {"parameters": [param("page")],
                       "post": operation("rename_page", "Rename a page (history follows it)", "pages",
                                         ok=(200, "Renamed"), body="Rename", write=True, role="editor")},
    "/history/{page}": {"parameters": [param("page")],
                        "get": operation("page_history", "A page's commits, newest first, across renames",
                                         "history", ok=(200, "History"), parameters=[param("lang"), *PAGING])},
    "/diff/{page}": {"parameters": [param("page")],
                     "get": operation("page_diff", "The change between two versions of a page, changed words marked",
                                      "history", ok=(200, "Diff"), parameters=[
                                          query("from", REVISION, "The older revision (default: the one before `to`)."),
                                          query("to", REVISION, "The newer revision (default: the current one)."),
                                          param("lang")])},
    "/blame/{page}": {"parameters": [param("page")],
                      "get": operation("page_blame", "Who wrote each line, for which group, and each group's share",
                                       "history", ok=(200, "Blame"), parameters=[param("rev"), param("lang")])},
    "/compare": {"get": operation("compare", "Every page that differs between two revisions of the whole document",
                                  "history", ok=(200, "Comparison"), parameters=[
                                      query("from", REVISION, "The older revision or version.", required=True),
                                      query("to", REVISION, "The newer one (default: the current one)."), *PAGING])},
    "/changes": {"get": operation("changes", "Recent changes to the whole document, newest first (the web's "
                                  "filters)", "history", ok=(200, "Changes"), parameters=[*CHANGE_FILTERS, *PAGING])},
    "/search": {"get": operation("search", "Full-text search, best first", "pages", ok=(200, "SearchResults"),
                                 parameters=[query("q", {"type": "string", "minLength": 1, "maxLength": 300},
                                                   "The words, `\"a phrase\"`, or `prefix*`.", required=True),
                                             param("section"), param("lang"), *PAGING])},
    "/versions": {
        "get": operation("list_versions", "Named versions, newest first", "review", ok=(200, "Versions"),
                         parameters=PAGING),
        "post": operation("create_version", "Mark the whole document as a named version", "review",
                          ok=(201, "Version"), body="VersionWrite", write=True, role="reviewer"),
    },
    "/endorsements": {"get": operation("endorsement_overview", "Every page's endorsement status", "review",
                                       ok=(200, "EndorsementOverview"), parameters=PAGING)},
    "/endorsements/{page}": {
        "parameters": [param("page")],
        "get": operation("page_endorsements", "A page's endorsements by group", "review", ok=(200, "PageEndorsements")),
        "post": operation("endorse_page", "Endorse the page's current revision for your group, or withdraw",
                          "review", ok=(200, "Endorsement"), body="EndorseWrite", write=True, role="reviewer"),
    },
    "/translations": {"get": operation("translation_overview", "Every page × language: up to date, outdated or "
                                       "missing", "translations", ok=(200, "TranslationOverview"),
                                       parameters=[param("section"), param("lang"), *PAGING])},
    "/translations/{page}": {"parameters": [param("page")],
                             "get": operation("page_translations", "A page's language versions and their state",
                                              "translations", ok=(200, "TranslationsOfPage"))},
    "/proposals": {
        "get": operation("list_proposals", "Amendment proposals, newest first", "proposals", ok=(200, "Proposals"),
                         parameters=[query("state", {"type": "string", "enum": ["open", "merged", "closed"]},
                                           "Only proposals in this state."),
                                     query("group", {"type": "string", "maxLength": 64}, "Drafted by this group."),
                                     query("page", {"type": "string", "maxLength": 200}, "Changing this page."),
                                     query("awaiting", {"type": "string", "maxLength": 64},
                                           "Open, and this group has not taken a position on the current text."),
                                     *PAGING]),
        "post": operation("create_proposal", "Start a proposal", "proposals", ok=(201, "Proposal"),
                          body="ProposalWrite", write=True, role="editor", limit="LIMIT_PROPOSALS_PER_HOUR"),
    },
    "/proposals/{number}": {"parameters": [param("number")],
                            "get": operation("read_proposal", "A proposal: rationale, discussion, pages it changes, "
                                             "consensus", "proposals", ok=(200, "Proposal"))},
    "/proposals/{number}/comments": {"parameters": [param("number")],
                                     "post": operation("comment_proposal", "Add to a proposal's discussion",
                                                       "proposals", ok=(201, "ProposalEvent"), body="CommentWrite",
                                                       write=True, role="reader", limit="LIMIT_REPLIES_PER_HOUR")},
    "/proposals/{number}/positions": {"parameters": [param("number")],
                                      "post": operation("position_proposal", "Your group endorses, objects to, or "
                                                        "withdraws from the proposal's head", "proposals",
                                                        ok=(200, "Proposal"), body="PositionWrite", write=True,
                                                        role="reviewer")},
    "/proposals/{number}/merge": {"parameters": [param("number")],
                                  "post": operation("merge_proposal", "Merge a proposal that has consensus",
                                                    "proposals", ok=(200, "Merged"), body="MergeWrite", write=True,
                                                    role="reviewer")},
    "/comments": {
        "get": operation("list_comments", "Comment threads on passages, most recently active first", "comments",
                         ok=(200, "Threads"), parameters=[
                             query("state", {"type": "string", "enum": ["open", "resolved", "outdated", "all"]},
                                   "Which threads (default: open)."),
                             query("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind."),
                             query("group", {"type": "string", "maxLength": 64}, "Started by this group."),
                             query("page", {"type": "string", "maxLength": 200}, "On this page."),
                             param("section"), *PAGING]),
        "post": operation("create_comment", "Start a thread on a quoted passage (or a paragraph) of a page",
                          "comments", ok=(201, "Thread"), body="ThreadWrite", write=True, role="reader",
                          limit="LIMIT_THREADS_PER_HOUR"),
    },
    "/comments/{number}": {"parameters": [param("number")],
                           "get": operation("read_comment", "A thread, with where its passage is now", "comments",
                                            ok=(200, "Thread"))},
    "/comments/{number}/replies": {"parameters": [param("number")],
                                   "post": operation("reply_comment", "Reply in a thread", "comments",
                                                     ok=(201, "Thread"), body="ReplyWrite", write=True,
                                                     role="reader", limit="LIMIT_REPLIES_PER_HOUR")},
    "/comments/{number}/visibility": {"parameters": [param("number")],
                                      "post": operation("set_visibility", "Hide a thread as spam, or show it again "
                                                        "(the secretariat and admins; an event in its history, "
                                                        "never deleted)", "comments", ok=(200, "Thread"),
                                                        body="VisibilityWrite", write=True, role="admin")},
    **call_schemas.PATHS,
    "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "tags": ["meta"],
                              "security": READ_SECURITY, "responses": {
                                  "200": {"description": "The OpenAPI document.",
                                          "content": {JSON: {"schema": {"type": "object"}}}},
                                  "default": {"description": "A problem.",
                                              "content": {PROBLEM: {"schema": ref("Problem")}}}}}},
}

TAGS = [
    {"name": "pages", "description": "Reading and changing pages; search."},
    {"name": "history", "description": "History, diffs, blame, comparisons and recent changes."},
    {"name": "review", "description": "Named versions and endorsements."},
    {"name": "translations", "description": "Language versions of pages."},
    {"name": "proposals", "description": "Amendment proposals."},
    {"name": "comments", "description": "Comment threads anchored to passages."},
    call_schemas.TAG,
    {"name": "meta", "description": "This description."},
]


def document(server_url: str = "/-/api/v1") -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh copy), its server at ``server_url``."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "Living Wiki API", "version": API_VERSION,
                 "description": "Pages, history, review and proposals of a Living Wiki as JSON. Errors are "
                                "`application/problem+json` (RFC 9457). Lists take `offset` and `limit` and "
                                "give the URL of the next page in `next` (and a `Link: rel=\"next\"` header). "
                                "Reads answer with an `ETag` and honour `If-None-Match` (304)."},
        "servers": [{"url": server_url}],
        "tags": TAGS,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "A personal access token from /-/account/tokens: `read` or `write`."}},
        },
    })


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """``{operationId: (path, method, operation)}``."""
    found = {}
    for path, item in PATHS.items():
        for method, op in item.items():
            if method != "parameters":
                found[op["operationId"]] = (path, method, op)
    return found
