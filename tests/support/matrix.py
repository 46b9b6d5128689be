"""Calling every row of tests/routes.py as each role: the pages and tokens the rows act on, one call
as a browser, git or an API client would make it, and the comparison with the table."""

from __future__ import annotations

import base64
import io
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from wiki.actions import calls as call_actions
from wiki.store import Author
from wiki.store.call_model import Call, Question, Response

from ..routes import LOGIN, OPEN_ROUTES, ROLES, ROUTES, Route
from .app import PASSWORD, Auth, csrf_token

# routes whose 302 is no login prompt (calls.respond: an invited guest sent back to the call)
REDIRECTING = frozenset({"auth.logout", "site.new_page", "calls.respond"})
MATRIX_AUTHOR = Author(name="Matrix", email="matrix@example.org", username="matrix", group="governments")


def prepare(app: Flask) -> dict[str, str]:
    """Create the pages the table's rows act on; return the placeholders for URLs and forms."""
    store = app.extensions["wiki_store"]
    for page in {route.page for route in ROUTES if route.page} | {"Matrix/Revert"}:
        store.save_page(page, f"# {page}\n\nfirst version\n", base=store.head(), author=MATRIX_AUTHOR, summary="v1")
    for page in ("Matrix/Attach", "Matrix/Attach_del"):
        store.save_page(page, "# Attachments\n", base=store.head(), author=MATRIX_AUTHOR, summary="v1")
        store.save_attachment(page, "notes.txt", b"attached notes\n", author=MATRIX_AUTHOR, summary="attach")
    rev = store.head()
    with app.test_request_context():  # a comment thread on Home's first paragraph, for the API's comment rows
        anchor = app.extensions["wiki_discussions"].anchor(store.page_blob_id("Home"), store.head(), paragraph=1)
        thread = store.comments.start("Home", anchor, "comment", "From the matrix.", proposal=None,
                                      author=MATRIX_AUTHOR)
    web_call = store.calls.create(Call(
        slug="matrix-web-call", title="Matrix web call", description="Answer *me*.",
        deadline=int(time.time()) + 86400 * 30,
        questions=(Question(id="q1", kind="text", text="Why?"),), audience="users", state="open",
        created=int(time.time()), created_by="admin", language="en"), author=MATRIX_AUTHOR).slug  # the web's rows
    store.calls.save_response(web_call, "matrix", lambda call, previous: Response(
        call=web_call, respondent="matrix", name="Matrix", organization="The Matrix", group="governments",
        consent="cite", language="en", answers={"q1": "Because."}, submitted=int(time.time()),
        updated=int(time.time())), author=MATRIX_AUTHOR)
    invited = store.calls.create(Call(  # answered by invited guests too; "matrix-late" answered after a deadline
        slug="matrix-invited-call", title="Matrix invited call", description="Guests welcome.",
        deadline=int(time.time()) + 86400 * 30, questions=(Question(id="q1", kind="text", text="Why?"),),
        audience="invited", state="open", created=int(time.time()), created_by="admin", language="en"),
        author=MATRIX_AUTHOR)
    store.calls.save_response(invited.slug, "matrix-late", lambda call, previous: Response(
        call=invited.slug, respondent="matrix-late", name="Late Matrix", organization="", group="governments",
        consent="cite", language="en", answers={"q1": "Late."}, submitted=int(time.time()),
        updated=int(time.time()), late=True), author=MATRIX_AUTHOR)
    with app.test_request_context():
        invitation = call_actions.invitation_token(invited)
    users, tokens = app.extensions["wiki_users"], app.extensions["wiki_tokens"]
    tokens.create(users.require("admin"), "Matrix token", "read", int(time.time()) + 86400)  # token 1
    bearer = {role: tokens.create(users.require(role), "Matrix API", "write", int(time.time()) + 86400)[1]
              for role in ROLES if role != "anonymous"}
    proposal = store.proposals.create("Matrix proposal", "Why.", author=MATRIX_AUTHOR).number
    store.proposals.pages_of(proposal).save_page("Matrix/Proposed", "# Proposed\n", base=store.head(),
                                                 author=MATRIX_AUTHOR, summary="proposed")
    opened = store.calls.create(Call(slug="matrix-call", title="Matrix call", description="Why?",
                                     questions=(Question(id="q1", kind="text", text="Why?"),),
                                     deadline=int(time.time()) + 30 * 86400, audience="users", state="open",
                                     created=int(time.time()), created_by="matrix", language="en"),
                                author=MATRIX_AUTHOR)
    store.calls.save_response(opened.slug, "matrix", lambda call, previous: Response(
        call=call.slug, respondent="matrix", name="Matrix", organization="", group="governments", consent="cite",
        language="en", answers={"q1": "Because the matrix *asks*."}, submitted=int(time.time()),
        updated=int(time.time())), author=MATRIX_AUTHOR)
    store.save_page("Matrix/Revert", "# Revert\n\nsecond version\n", base=store.head(), author=MATRIX_AUTHOR,
                    summary="v2")
    return {"rev": rev, "head": store.head(), "home_change": store.last_change("Home").id,
            "proposal": str(proposal), "proposal_head": store.proposals.get(proposal).head,
            "tomorrow": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(),
            "api_endorse_change": store.last_change("Matrix/Api_endorse").id, "thread": str(thread),
            "call": opened.slug, "web_call": web_call, "invited_call": invited.slug, "invitation": invitation,
            **{f"bearer_{role}": secret for role, secret in bearer.items()}}


def call(client: FlaskClient, route: Route, values: dict[str, str], role: str = "anonymous"):  # noqa: ANN201
    """Call ``route`` as a browser would (forms carry the session's CSRF token), or as git would
    (HTTP Basic credentials of the role, a raw body)."""
    url = route.url.format(page=route.page, **values)
    headers = dict(route.headers)
    if route.basic_auth:
        if role != "anonymous":
            headers["Authorization"] = "Basic " + base64.b64encode(f"{role}:{PASSWORD}".encode()).decode()
        body = b"0000" if route.method == "POST" else None  # a flush packet: git's smallest request
        return client.open(url, method=route.method, headers=headers, data=body)
    if route.bearer:  # the API: the role's token, no session, a JSON body
        if role != "anonymous":
            headers["Authorization"] = f"Bearer {values[f'bearer_{role}']}"
        body = {key: value.format(page=route.page, **values) if isinstance(value, str) else value
                for key, value in route.json.items()} if route.json is not None else None
        return client.open(url, method=route.method, headers=headers, json=body)
    if route.method == "GET":
        return client.get(url, headers=headers)
    data = {key: value.format(page=route.page, **values) for key, value in route.data.items()}
    data["csrf_token"] = csrf_token(client, "/-/login")
    for name, (filename, content) in route.files.items():
        data[name] = (io.BytesIO(content), filename)  # type: ignore[assignment]
    return client.open(url, method=route.method, data=data, headers=headers)


def expected(route: Route, role: str, public: bool) -> int:
    if role == "anonymous" and not public:
        return route.private_anonymous
    return route.expect[role]


def check_matrix(app: Flask, role: str, public: bool) -> None:
    """Call every route of the table as ``role`` and compare each answer with the table."""
    values = prepare(app)
    mismatches = []
    for route in ROUTES:
        client = app.test_client()  # a fresh session per row: a logout row does not affect the next
        if role != "anonymous" and not route.basic_auth and not route.bearer:
            assert Auth(client).login(role).status_code == 302
        response = call(client, route, values, role)
        want = expected(route, role, public)
        if response.status_code != want:
            mismatches.append(f"{route.id}: {response.status_code}, expected {want}")
        elif (role == "anonymous" and want == LOGIN and route.endpoint not in OPEN_ROUTES
              and (not public or route.endpoint not in REDIRECTING)):
            location = response.headers.get("Location", "")
            if not location.startswith("/-/login?next="):
                mismatches.append(f"{route.id}: redirected to {location!r}, not to the login form")
        response.close()
    assert mismatches == []
