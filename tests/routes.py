"""The one table of the wiki's routes that the security tests walk (access matrix, headers, XSS).

Adding a route to the wiki? Add a row here: `test_every_route_is_in_the_table` fails until you do.
Each row says how to call the route and what each role gets, with public reading on; with public
reading off, anonymous visitors are sent to log in everywhere except the routes in ``OPEN_ROUTES``.

URLs and form values may use ``{rev}`` (an older commit of ``Matrix/Revert``), ``{head}`` (the
tip), ``{home_change}`` (the last commit that changed Home), ``{tomorrow}`` (a date),
``{api_endorse_change}`` (the last commit of ``Matrix/Api_endorse``), ``{thread}`` (a comment thread
on Home), ``{web_call}`` (a call for input with a response by ``matrix``), ``{invited_call}`` and its
``{invitation}`` (a call guests may answer, with a late response by ``matrix-late``) and ``{page}`` (the row's own page,
created before the row runs, so that a row that renames or deletes it does not disturb others).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def minimal_docx(text: str) -> bytes:
    """The smallest Word file pandoc and the import accept: one paragraph of ``text``."""
    import io
    import zipfile

    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="{main}"/></Types>""")
        archive.writestr("_rels/.rels", """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/></Relationships>""")
        archive.writestr("word/document.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>""")
    return out.getvalue()


ROLES = ("anonymous", "reader", "editor", "reviewer", "admin")
LOGIN = 302  # anonymous visitors are redirected to the login form
# Reachable without the login form on a private wiki: their rows set ``private_anonymous``.
OPEN_ROUTES = frozenset({"auth.login", "accounts.set_password", "accounts.forgot_password", "static",
                         "git_http.info_refs", "git_http.upload_pack",
                         "git_http.receive_pack", "git_http.elsewhere", "language.choose", "replica.notify",
                         "operations.health", "operations.ready", "operations.metrics", "mail.unsubscribe",
                         "mail.confirm_email"})


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str
    expect: dict[str, int]  # role -> status with public reading on
    data: dict[str, str] = field(default_factory=dict)  # form fields (a CSRF token is added)
    page: str = ""  # a page created for this row before it runs
    private_anonymous: int = LOGIN  # what anonymous visitors get when public reading is off
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # uploads: field -> (name, bytes)
    basic_auth: bool = False  # the role's credentials go in an HTTP Basic header (git), not a login form
    headers: dict[str, str] = field(default_factory=dict)
    bearer: bool = False  # the JSON API: the role's write token as ``Authorization: Bearer`` (no session)
    json: dict[str, object] | None = None  # a JSON body (its strings may use the placeholders)

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


def roles(anonymous: int, reader: int, editor: int, reviewer: int | None = None, admin: int | None = None
          ) -> dict[str, int]:
    """Statuses by role; reviewer and admin default to the editor's (roles only add rights)."""
    reviewer = editor if reviewer is None else reviewer
    admin = reviewer if admin is None else admin
    return {"anonymous": anonymous, "reader": reader, "editor": editor, "reviewer": reviewer, "admin": admin}


EVERYONE = roles(200, 200, 200)
LOGGED_IN = roles(LOGIN, 200, 200)
EDITORS = roles(LOGIN, 403, 200)
EDITORS_POST = roles(LOGIN, 403, 302)

ROUTES: list[Route] = [
    # pages blueprint
    Route("pages.home", "GET", "/", EVERYONE),
    Route("pages.view", "GET", "/Home", EVERYONE),
    Route("pages.view", "GET", "/Home?rev={rev}", EVERYONE),
    Route("pages.view", "GET", "/No_such_page", roles(404, 404, 404)),
    Route("pages.edit", "GET", "/Home/-/edit", EDITORS),
    Route("pages.edit", "POST", "/{page}/-/edit", EDITORS_POST, page="Matrix/Edit",
          data={"text": "changed by the matrix\n", "base": "{head}", "summary": "matrix"}),
    Route("pages.rename", "GET", "/{page}/-/rename", EDITORS, page="Matrix/Rename_form"),
    Route("pages.rename", "POST", "/{page}/-/rename", EDITORS_POST, page="Matrix/Rename",
          data={"new_name": "Matrix/Renamed"}),
    Route("pages.delete", "GET", "/{page}/-/delete", EDITORS, page="Matrix/Delete_form"),
    Route("pages.delete", "POST", "/{page}/-/delete", EDITORS_POST, page="Matrix/Delete"),
    Route("pages.revert", "POST", "/Matrix/Revert/-/revert", EDITORS_POST, data={"rev": "{rev}"}),
    Route("pages.unknown_action", "GET", "/Home/-/frobnicate", roles(404, 404, 404)),
    # history blueprint
    Route("history.history", "GET", "/Home/-/history", EVERYONE),
    Route("history.diff", "GET", "/Home/-/diff", EVERYONE),
    Route("history.diff", "GET", "/Matrix/Revert/-/diff?from={rev}&to={head}&view=split", EVERYONE),
    Route("history.diff", "GET", "/Matrix/Revert/-/diff?from={rev}&to={head}&view=rendered", EVERYONE),
    # language versions of pages (issue 13)
    Route("translations.page_translations", "GET", "/Home/-/translations", EVERYONE),
    Route("translations.overview", "GET", "/-/translations", EVERYONE),
    Route("translations.overview", "GET", "/-/translations?lang=fr&section=Matrix", EVERYONE),
    Route("translations.overview", "GET", "/-/translations?lang=xx", roles(404, 404, 404)),
    Route("pages.view", "GET", "/Home?lang=xx", roles(404, 404, 404)),
    Route("pages.edit", "GET", "/Home/-/edit?lang=fr", EDITORS),
    Route("pages.edit", "POST", "/{page}/-/edit?lang=es", EDITORS_POST, page="Matrix/Translate",
          data={"text": "traducido por la matriz\n", "base": "{head}", "summary": "matrix", "follows": "1"}),
    # amendment proposals (issue 14); proposal {proposal} is open, drafted by another user, behind main;
    # the rows run in this order: decide, comment, update, edit, then merge (no consensus) and close
    Route("proposals.proposals", "GET", "/-/proposals", EVERYONE),
    Route("proposals.proposals", "GET", "/-/proposals?state=open&awaiting=governments&page=Matrix/Proposed", EVERYONE),
    Route("proposals.proposals", "GET", "/-/proposals?state=bogus", roles(400, 400, 400)),
    Route("proposals.feed", "GET", "/-/proposals.atom", EVERYONE),
    Route("proposals.new", "GET", "/-/proposals/new?page=Home", EDITORS),
    Route("proposals.new", "POST", "/-/proposals/new", EDITORS_POST,
          data={"title": "From the matrix", "rationale": "x"}),
    Route("proposals.show", "GET", "/-/proposals/{proposal}", EVERYONE),
    Route("proposals.show", "GET", "/-/proposals/{proposal}?view=rendered", EVERYONE),
    Route("proposals.show", "GET", "/-/proposals/999", roles(404, 404, 404)),
    Route("proposals.endorse", "POST", "/-/proposals/{proposal}/endorse", roles(LOGIN, 403, 403, 302),
          data={"action": "endorse", "rev": "{proposal_head}"}),
    Route("api.position_proposal", "POST", "/-/api/v1/proposals/{proposal}/positions", roles(401, 403, 403, 200),
          private_anonymous=401, bearer=True, json={"action": "endorse", "rev": "{proposal_head}"}),
    Route("proposals.comment", "POST", "/-/proposals/{proposal}/comment", roles(LOGIN, 302, 302),
          data={"text": "A comment from the matrix."}),
    Route("proposals.update", "GET", "/-/proposals/{proposal}/update", roles(LOGIN, 403, 302)),
    Route("proposals.update", "POST", "/-/proposals/{proposal}/update", roles(LOGIN, 403, 302)),
    Route("pages.view", "GET", "/Matrix/Proposed?proposal={proposal}", EVERYONE),
    Route("pages.view", "GET", "/Home?proposal=999", roles(404, 404, 404)),
    Route("pages.edit", "GET", "/Matrix/Proposed/-/edit?proposal={proposal}", EDITORS),
    Route("pages.edit", "POST", "/{page}/-/edit?proposal={proposal}", EDITORS_POST, page="Matrix/In_proposal",
          data={"text": "changed in the proposal\n", "base": "{proposal_head}", "summary": "matrix"}),
    Route("site.new_page", "GET", "/-/new?name=Matrix/New&proposal={proposal}", roles(302, 302, 302)),
    Route("pages.rename", "GET", "/Matrix/Proposed/-/rename?proposal={proposal}", EDITORS),
    Route("pages.delete", "GET", "/Matrix/Proposed/-/delete?proposal={proposal}", EDITORS),
    Route("proposals.merge", "POST", "/-/proposals/{proposal}/merge", roles(LOGIN, 403, 403, 409)),
    Route("api.merge_proposal", "POST", "/-/api/v1/proposals/{proposal}/merge", roles(401, 403, 403, 409),
          private_anonymous=401, bearer=True, json={}),
    # only the proposal's author (matrix, no account), the secretariat and admins close and reopen it:
    # a drafter's commit inside it (the edit row above) gives no such right
    Route("proposals.close", "POST", "/-/proposals/{proposal}/close", roles(LOGIN, 403, 403, 403, 302),
          data={"reason": "Rejected by the matrix."}),
    Route("proposals.reopen", "POST", "/-/proposals/{proposal}/reopen", roles(LOGIN, 403, 403, 403, 302),
          data={"reason": "Reopened by the matrix."}),
    # comment threads on passages (issue 15)
    Route("comments.page_comments", "GET", "/Home/-/comments", EVERYONE),
    Route("comments.page_comments", "GET", "/Home/-/comments?paragraph=1", EVERYONE),
    Route("comments.page_comments", "GET", "/Home/-/comments?paragraph=999", roles(404, 404, 404)),
    Route("comments.page_comments", "GET", "/Home/-/comments?paragraph=-1", roles(400, 400, 400)),
    Route("comments.page_comments", "GET", "/Matrix/Proposed/-/comments?proposal={proposal}", EVERYONE),
    Route("comments.page_comments", "GET", "/No_such_page/-/comments", roles(404, 404, 404)),
    Route("comments.start", "POST", "/{page}/-/comments", roles(LOGIN, 303, 303), page="Matrix/Comment",
          data={"rev": "{head}", "paragraph": "1", "kind": "objection", "text": "From the matrix."}),
    Route("comments.start", "POST", "/{page}/-/comments", roles(LOGIN, 400, 400), page="Matrix/Comment_bad",
          data={"rev": "{head}", "quote": "not in the page at all", "text": "x"}),
    Route("comments.act", "POST", "/Home/-/comments/999", roles(LOGIN, 404, 404),
          data={"action": "reply", "text": "x"}),
    Route("comments.act", "POST", "/Home/-/comments/{thread}", roles(LOGIN, 403, 403, 403, 303),
          data={"action": "unhide"}),
    # calls for input in the browser (issue 30): {web_call} is a call opened by the matrix, with a response by "matrix"
    Route("calls.index", "GET", "/-/calls", EVERYONE),
    Route("calls.new", "GET", "/-/calls/new", roles(LOGIN, 403, 403, 403, 200)),
    Route("calls.new", "POST", "/-/calls/new", roles(LOGIN, 403, 403, 403, 302),
          data={"title": "Matrix call", "deadline": "{tomorrow}", "count": "1", "question-0-text": "Why?",
                "question-0-kind": "text"}),
    Route("calls.new", "POST", "/-/calls/new", roles(LOGIN, 403, 403, 403, 400),
          data={"title": "Matrix call", "deadline": "2001-01-01", "count": "1", "question-0-text": "Why?"}),
    Route("calls.show", "GET", "/-/calls/{web_call}", EVERYONE),
    Route("calls.show", "GET", "/-/calls/no-such-call", roles(404, 404, 404)),
    Route("calls.show", "GET", "/-/calls/{web_call}?invitation=00", EVERYONE),
    Route("calls.show", "GET", "/-/calls/{invited_call}?invitation={invitation}", EVERYONE),  # a guest's form
    Route("calls.respond", "POST", "/-/calls/{web_call}/respond", roles(401, 302, 302),
          data={"answer-q1": "From the matrix.", "consent": "cite", "action": "submit"}),
    Route("calls.respond", "POST", "/-/calls/{web_call}/respond", roles(401, 400, 400),
          data={"answer-q1": "From the matrix.", "consent": "maybe", "action": "submit"}),
    Route("calls.respond", "POST", "/-/calls/{web_call}/respond", roles(401, 302, 302),
          data={"answer-q1": "A draft.", "action": "draft"}),
    Route("calls.edit", "GET", "/-/calls/{web_call}/edit", roles(LOGIN, 403, 403, 403, 200)),
    Route("calls.edit", "POST", "/-/calls/{web_call}/edit", roles(LOGIN, 403, 403, 403, 302),
          data={"title": "Matrix call, edited", "count": "1", "question-0-id": "q1", "question-0-text": "Why not?",
                "question-0-kind": "text"}),
    Route("calls.manage", "POST", "/-/calls/{web_call}/manage", roles(LOGIN, 403, 403, 403, 302),
          data={"action": "deadline", "deadline": "{tomorrow}"}),
    Route("calls.manage", "POST", "/-/calls/{web_call}/manage", roles(LOGIN, 400, 400, 400, 400),
          data={"action": "explode"}),
    Route("calls.translate", "GET", "/-/calls/{web_call}/translate?lang=fr", roles(LOGIN, 403, 403, 403, 200)),
    Route("calls.translate", "POST", "/-/calls/{web_call}/translate", roles(LOGIN, 403, 403, 403, 302),
          data={"lang": "fr", "title": "Appel de la matrice", "question-q1": "Pourquoi ?"}),
    Route("calls.responses", "GET", "/-/calls/{web_call}/responses", EVERYONE),
    Route("calls.responses", "GET", "/-/calls/{web_call}/responses?by=respondent&group=governments&q=matrix", EVERYONE),
    Route("calls.responses", "GET", "/-/calls/{web_call}/responses?by=elsewhere", roles(400, 400, 400)),
    Route("calls.responses", "GET", "/-/calls/{web_call}/responses?question=q99", roles(404, 404, 404)),
    Route("calls.history", "GET", "/-/calls/{web_call}/responses/matrix/history", EVERYONE),
    Route("calls.history", "GET", "/-/calls/{web_call}/responses/nobody/history", roles(404, 404, 404)),
    # what one commit changed in a response: a commit that is not in its history is a 404, whatever it names
    Route("calls.history", "GET", "/-/calls/{web_call}/responses/matrix/history?commit=" + "0" * 40,
          roles(404, 404, 404)),
    Route("calls.history", "GET", "/-/calls/{web_call}/responses/matrix/history?commit=<script>", roles(404, 404, 404)),
    # {invited_call} takes guests holding {invitation}; "matrix-late" answered it late: not counted, so its
    # history is the secretariat's (and its author's) until accepted; a renewed or forged link is a 403
    Route("calls.history", "GET", "/-/calls/{invited_call}/responses/matrix-late/history",
          roles(404, 404, 404, 404, 200)),
    Route("calls.respond", "POST", "/-/calls/{invited_call}/respond", roles(403, 302, 302),
          data={"invitation": "0" * 32, "name": "Forger", "group": "governments", "answer-q1": "x", "action": "draft"}),
    Route("calls.respond", "POST", "/-/calls/{invited_call}/respond", roles(302, 302, 302),
          data={"invitation": "{invitation}", "name": "Guest", "group": "governments", "answer-q1": "x",
                "action": "draft"}),
    Route("call_files.upload", "POST", "/-/calls/{invited_call}/upload", roles(403, 400, 400),
          data={"invitation": "0" * 32}, files={"file": ("answers.docx", minimal_docx("Answered by the matrix"))}),
    # an edit made from an older version of the call (its form's base) is refused, nothing saved
    Route("calls.edit", "POST", "/-/calls/{web_call}/edit", roles(LOGIN, 403, 403, 403, 409),
          data={"base": "0" * 20, "title": "Matrix call, stale", "count": "1", "question-0-id": "q1",
                "question-0-text": "Why?", "question-0-kind": "text"}),
    Route("comments.all_comments", "GET", "/-/comments", EVERYONE),
    Route("comments.all_comments", "GET", "/-/comments?state=all&kind=objection&group=governments&section=Matrix",
          EVERYONE),
    Route("comments.all_comments", "GET", "/-/comments?state=bogus", roles(400, 400, 400)),
    Route("comments.feed", "GET", "/-/comments.atom", EVERYONE),
    # read replicas (issue 18): not a replica here, so the primary's notification finds nothing
    Route("replica.notify", "POST", "/-/replica/notify", roles(404, 404, 404), private_anonymous=404),
    # site blueprint
    Route("site.pages", "GET", "/-/pages", EVERYONE),
    Route("site.document", "GET", "/-/document", EVERYONE),
    Route("site.document", "GET", "/-/document?rev={rev}&section=Matrix", EVERYONE),
    Route("site.document", "GET", "/-/document?rev=0000000000", roles(404, 404, 404)),
    Route("site.new_page", "GET", "/-/new", EVERYONE),
    Route("site.new_page", "GET", "/-/new?name=Matrix/New", roles(302, 302, 302)),
    # auth blueprint
    Route("auth.login", "GET", "/-/login", EVERYONE, private_anonymous=200),
    Route("auth.login", "POST", "/-/login", roles(401, 401, 401), data={"username": "nobody", "password": "wrong"},
          private_anonymous=401),
    Route("auth.logout", "POST", "/-/logout", roles(302, 302, 302)),
    Route("auth.account", "GET", "/-/account", LOGGED_IN),
    Route("auth.account", "POST", "/-/account", roles(LOGIN, 400, 400),
          data={"current_password": "wrong password", "new_password": "x" * 12, "confirm_password": "x" * 12}),
    # notifications and watchlists (issue 27)
    Route("notify.notifications", "GET", "/-/notifications", LOGGED_IN),
    Route("notify.notifications", "GET", "/-/notifications?p=x", roles(LOGIN, 400, 400)),
    Route("notify.mark_read", "POST", "/-/notifications/read", roles(LOGIN, 302, 302)),
    Route("notify.mark_read", "POST", "/-/notifications/read", roles(LOGIN, 400, 400), data={"id": "<b>"}),
    Route("notify.awaiting", "GET", "/-/awaiting", LOGGED_IN),
    Route("notify.watch_page", "POST", "/{page}/-/watch", roles(LOGIN, 302, 302), page="Matrix/Watch",
          data={"watch": "1"}),
    Route("notify.watch_proposal", "POST", "/-/proposals/{proposal}/watch", roles(LOGIN, 302, 302),
          data={"watch": "0"}),
    Route("notify.watch_call", "POST", "/-/calls/{call}/watch", roles(LOGIN, 302, 302), data={"watch": "1"}),
    Route("notify.watch_call", "POST", "/-/calls/no-such-call/watch", roles(LOGIN, 404, 404), data={"watch": "1"}),
    # the signed links in mail work without a session (one-click unsubscribe, RFC 8058); forged ones are a 400
    Route("mail.unsubscribe", "GET", "/-/unsubscribe/forged.token", roles(400, 400, 400), private_anonymous=400),
    Route("mail.unsubscribe", "POST", "/-/unsubscribe/forged.token", roles(400, 400, 400), private_anonymous=400,
          data={"List-Unsubscribe": "One-Click"}),
    Route("mail.confirm_email", "GET", "/-/account/email/confirm/forged.token", roles(400, 400, 400),
          private_anonymous=400),
    Route("mail.change_email", "POST", "/-/account/email", roles(LOGIN, 409, 409),  # no MAIL_SERVER here
          data={"email": "new@example.org"}),
    Route("notify.settings", "POST", "/-/account/notifications", roles(LOGIN, 302, 302),
          data={"autowatch": "1", "awaiting": "immediately", "mine": "daily", "watching": "weekly",
                "mention": "never"}),
    # personal access tokens (issue 16); token 1 is the admin's (made by ``prepare``)
    Route("auth.editor_mode", "POST", "/-/account/editor-mode", roles(LOGIN, 204, 204), data={"mode": "visual"}),
    Route("tokens.account_tokens", "GET", "/-/account/tokens", LOGGED_IN),
    Route("tokens.account_tokens", "POST", "/-/account/tokens", LOGGED_IN,
          data={"name": "matrix", "scope": "read", "expires": "{tomorrow}"}),
    Route("tokens.revoke", "POST", "/-/account/tokens/1/revoke", roles(LOGIN, 404, 404, 404, 302)),
    Route("tokens.admin_tokens", "GET", "/-/admin/tokens", roles(LOGIN, 403, 403, 403, 200)),
    Route("tokens.admin_revoke", "POST", "/-/admin/tokens/1/revoke", roles(LOGIN, 403, 403, 403, 302)),
    # accounts in the browser (issue 29): admins only; the set-password link is open (it is the credential)
    Route("accounts.users", "GET", "/-/admin/users", roles(LOGIN, 403, 403, 403, 200)),
    Route("accounts.users", "POST", "/-/admin/users", roles(LOGIN, 403, 403, 403, 200),
          data={"username": "matrix-new", "display_name": "Matrix New", "email": "", "group": "governments",
                "role": "reader"}),
    Route("accounts.change", "POST", "/-/admin/users/editor2", roles(LOGIN, 403, 403, 403, 302),
          data={"role": "editor", "group": "private-sector"}),
    Route("accounts.disable", "POST", "/-/admin/users/nobody-here/disable", roles(LOGIN, 403, 403, 403, 404)),
    Route("accounts.enable", "POST", "/-/admin/users/editor2/enable", roles(LOGIN, 403, 403, 403, 302)),
    Route("accounts.password_link", "POST", "/-/admin/users/editor2/password-link",
          roles(LOGIN, 403, 403, 403, 200)),
    Route("accounts.set_password", "GET", "/-/set-password/not-a-link", roles(404, 404, 404), private_anonymous=404),
    Route("accounts.set_password", "POST", "/-/set-password/not-a-link", roles(404, 404, 404), private_anonymous=404,
          data={"new_password": "a new password", "confirm_password": "a new password"}),
    # password reset by mail: only when the wiki sends mail (these tables run without a mail server)
    Route("accounts.forgot_password", "GET", "/-/forgot-password", roles(404, 404, 404), private_anonymous=404),
    Route("accounts.forgot_password", "POST", "/-/forgot-password", roles(404, 404, 404), private_anonymous=404,
          data={"account": "editor"}),
    # the JSON API (issue 16): each role calls it with a write token of its own; anonymous callers get a 401
    *[Route(f"api.{endpoint}", "GET", f"/-/api/v1/{path}", EVERYONE, private_anonymous=401, bearer=True)
      for endpoint, path in (
          ("openapi", "openapi.json"), ("list_pages", "pages?limit=5"), ("read_page", "pages/Home"),
          ("page_history", "history/Home"), ("page_diff", "diff/Home"), ("page_blame", "blame/Home"),
          ("compare", "compare?from={rev}"), ("changes", "changes?group=governments"), ("search", "search?q=mandate"),
          ("list_versions", "versions"), ("endorsement_overview", "endorsements"),
          ("page_endorsements", "endorsements/Home"), ("translation_overview", "translations"),
          ("page_translations", "translations/Home"), ("list_proposals", "proposals?state=open"),
          ("read_proposal", "proposals/{proposal}"), ("list_comments", "comments?state=all"),
          ("read_comment", "comments/{thread}"))],
    Route("api.read_page", "GET", "/-/api/v1/pages/No_such_page", roles(404, 404, 404), private_anonymous=401,
          bearer=True),
    Route("api.save_page", "PUT", "/-/api/v1/pages/{page}", roles(401, 403, 200), page="Matrix/Api_edit",
          private_anonymous=401, bearer=True, json={"text": "changed through the API\n", "base": "{head}"}),
    Route("api.rename_page", "POST", "/-/api/v1/rename/{page}", roles(401, 403, 200), page="Matrix/Api_rename",
          private_anonymous=401, bearer=True, json={"new_name": "Matrix/Api_renamed"}),
    Route("api.delete_page", "DELETE", "/-/api/v1/pages/{page}", roles(401, 403, 200), page="Matrix/Api_delete",
          private_anonymous=401, bearer=True),
    Route("api.create_version", "POST", "/-/api/v1/versions", roles(401, 403, 403, 201), private_anonymous=401,
          bearer=True, json={"title": "API matrix version"}),
    Route("api.endorse_page", "POST", "/-/api/v1/endorsements/{page}", roles(401, 403, 403, 200),
          page="Matrix/Api_endorse", private_anonymous=401, bearer=True,
          json={"action": "endorse", "rev": "{api_endorse_change}"}),
    Route("api.create_proposal", "POST", "/-/api/v1/proposals", roles(401, 403, 201), private_anonymous=401,
          bearer=True, json={"title": "From the API matrix"}),
    Route("api.comment_proposal", "POST", "/-/api/v1/proposals/{proposal}/comments", roles(401, 201, 201),
          private_anonymous=401, bearer=True, json={"text": "A comment through the API."}),
    Route("api.create_comment", "POST", "/-/api/v1/comments", roles(401, 201, 201), private_anonymous=401,
          bearer=True, json={"page": "Home", "rev": "{head}", "paragraph": 1, "text": "Through the API."}),
    Route("api.reply_comment", "POST", "/-/api/v1/comments/{thread}/replies", roles(401, 201, 201),
          private_anonymous=401, bearer=True, json={"text": "A reply through the API."}),
    Route("api.set_visibility", "POST", "/-/api/v1/comments/{thread}/visibility", roles(401, 403, 403, 403, 200),
          private_anonymous=401, bearer=True, json={"hidden": False, "reason": "Not spam."}),
    # calls for input through the API (issue 30): {call} is open, with one text question q1; the
    # secretariat and admins open calls; each role answers once (no response before: a 404)
    *[Route(f"api.{endpoint}", "GET", f"/-/api/v1/{path}", EVERYONE, private_anonymous=401, bearer=True)
      for endpoint, path in (("list_calls", "calls?state=open"), ("read_call", "calls/{call}"),
                             ("list_responses", "calls/{call}/responses?group=governments&q=why"))],
    Route("api.read_call", "GET", "/-/api/v1/calls/no-such-call", roles(404, 404, 404), private_anonymous=401,
          bearer=True),
    Route("api.read_my_response", "GET", "/-/api/v1/calls/{call}/responses/mine", roles(401, 404, 404),
          private_anonymous=401, bearer=True),
    Route("api.submit_response", "PUT", "/-/api/v1/calls/{call}/responses/mine", roles(401, 201, 201),
          private_anonymous=401, bearer=True, json={"answers": {"q1": "Through the API."}, "consent": "aggregate"}),
    Route("api.create_call", "POST", "/-/api/v1/calls", roles(401, 403, 403, 403, 201), private_anonymous=401,
          bearer=True, json={"title": "From the API matrix", "questions": [{"text": "Why?"}],
                             "deadline": "{tomorrow}T12:00:00Z"}),
    Route("api_reference.reference", "GET", "/-/api", EVERYONE),
    # the language menu (issue 13): open to everyone, on a private wiki too (the login page has it)
    Route("language.choose", "GET", "/-/language?lang=fr&next=/Home", roles(302, 302, 302), private_anonymous=302),
    Route("language.choose", "GET", "/-/language?lang=xx", roles(404, 404, 404), private_anonymous=404),
    # review blueprint (issue 3)
    Route("review.blame", "GET", "/Home/-/blame", EVERYONE),
    Route("review.endorsements_of_page", "GET", "/Home/-/endorse", EVERYONE),
    Route("review.endorse", "POST", "/Home/-/endorse", roles(LOGIN, 403, 403, 302),
          data={"action": "endorse", "rev": "{home_change}"}),
    Route("review.endorsements", "GET", "/-/endorsements", EVERYONE),
    # changes blueprint (issue 3)
    Route("changes.changes", "GET", "/-/changes", EVERYONE),
    Route("changes.feed", "GET", "/-/changes.atom", EVERYONE),
    Route("changes.contributions", "GET", "/-/contributions", EVERYONE),
    Route("changes.versions", "GET", "/-/versions", EVERYONE),
    Route("changes.versions", "POST", "/-/versions", roles(LOGIN, 403, 403, 302),
          data={"title": "Matrix version", "rev": "{head}"}),
    Route("changes.compare", "GET", "/-/compare?from={rev}&to={head}", EVERYONE),
    # preview blueprint (issue 6)
    Route("preview.preview", "POST", "/-/preview", EDITORS, data={"text": "# Preview\n"}),
    # /content.git (issue 4): git authenticates with HTTP Basic; a form login does not count there
    Route("git_http.info_refs", "GET", "/content.git/info/refs?service=git-upload-pack", EVERYONE,
          private_anonymous=401, basic_auth=True),
    Route("git_http.info_refs", "GET", "/content.git/info/refs?service=git-receive-pack",
          roles(401, 403, 200), private_anonymous=401, basic_auth=True),  # editors push to their proposals
    Route("git_http.upload_pack", "POST", "/content.git/git-upload-pack", EVERYONE, private_anonymous=401,
          basic_auth=True, headers={"Content-Type": "application/x-git-upload-pack-request"}),
    Route("git_http.receive_pack", "POST", "/content.git/git-receive-pack", roles(401, 403, 200),
          private_anonymous=401, basic_auth=True,
          headers={"Content-Type": "application/x-git-receive-pack-request"}),
    Route("git_http.elsewhere", "GET", "/content.git/HEAD", roles(404, 404, 404), private_anonymous=404),
    Route("git_http.elsewhere", "POST", "/content.git", roles(404, 404, 404), private_anonymous=404),
    Route("git_http.elsewhere", "PUT", "/content.git/objects/x", roles(404, 404, 404), private_anonymous=404),
    Route("git_http.elsewhere", "DELETE", "/content.git/refs/heads/main", roles(404, 404, 404),
          private_anonymous=404),
    # find blueprint (issue 5)
    Route("find.search", "GET", "/-/search?q=mandate", EVERYONE),
    Route("find.search", "GET", "/-/search", EVERYONE),
    Route("find.search", "GET", "/-/search?q=matrix+asks", EVERYONE),  # an answer to {call} (issue 30)
    Route("find.search", "GET", "/-/search?q=mandate&lang=fr", EVERYONE),
    Route("find.search", "GET", "/-/search?q=mandate&lang=xx", roles(404, 404, 404)),
    Route("find.search", "GET", "/-/search?q=proposed&proposal={proposal}", EVERYONE),
    Route("find.search", "GET", "/-/search?q=proposed&proposal=999", roles(404, 404, 404)),
    Route("find.backlinks", "GET", "/Home/-/backlinks", EVERYONE),
    Route("find.complete", "GET", "/-/complete?q=matrix&page=Matrix/Attach", EVERYONE),
    Route("find.wanted", "GET", "/-/wanted", EVERYONE),
    # attachments blueprint (issue 5); ``prepare`` attaches notes.txt to Matrix/Attach
    Route("attachments.attachments", "GET", "/Matrix/Attach/-/attachments", EVERYONE),
    Route("attachments.upload", "POST", "/{page}/-/attachments", EDITORS_POST, page="Matrix/Upload",
          files={"file": ("matrix.txt", b"uploaded by the matrix\n")}),
    Route("attachments.download", "GET", "/Matrix/Attach/-/attachments/notes.txt", EVERYONE),
    Route("attachments.change", "POST", "/{page}/-/attachments/notes.txt", EDITORS_POST, page="Matrix/Attach_del",
          data={"action": "delete"}),
    Route("attachments.history", "GET", "/Matrix/Attach/-/attachments/notes.txt/history", EVERYONE),
    # exports (issue 17): md answers at once; other formats are converted (tests/test_export.py)
    Route("export.page_export", "GET", "/Home/-/export?format=md", EVERYONE),
    Route("export.page_export", "GET", "/Home/-/export?format=md&rev={rev}", EVERYONE),
    Route("export.page_export", "GET", "/Home/-/export?format=exe", roles(400, 400, 400)),
    Route("export.page_export", "GET", "/No_such_page/-/export?format=md", roles(404, 404, 404)),
    Route("export.document_export", "GET", "/-/document/export?format=md&section=Matrix", EVERYONE),
    Route("export.document_export", "GET", "/-/document/export?format=pdf&rev=0000000000", roles(404, 404, 404)),
    Route("export.status", "GET", "/-/exports/" + "0" * 40, roles(404, 404, 404)),
    # redlines (issue 17): Word tracked changes or a PDF between two revisions (tests/test_redline.py)
    Route("redline.compare_export", "GET", "/-/compare/export?from={rev}&to={head}&format=docx", EVERYONE),
    Route("redline.compare_export", "GET", "/-/compare/export?from={rev}&to={head}&format=odt", roles(400, 400, 400)),
    Route("redline.compare_export", "GET", "/-/compare/export?from={head}&to={head}&format=pdf", roles(400, 400, 400)),
    Route("redline.diff_export", "GET", "/Matrix/Revert/-/diff/export?from={rev}&to={head}&format=pdf", EVERYONE),
    Route("redline.diff_export", "GET", "/Matrix/Revert/-/diff/export?from=0000000000&to={head}&format=docx",
          roles(404, 404, 404)),
    # import of .docx/.odt (issue 17): the POST uploads a minimal Word file and gets the preview
    Route("imports.import_document", "GET", "/-/import", EDITORS),
    Route("imports.import_document", "POST", "/-/import", EDITORS, data={"page": "Matrix/Imported"},
          files={"file": ("matrix.docx", minimal_docx("Imported by the matrix"))}),
    Route("imports.import_document", "POST", "/-/import", roles(LOGIN, 403, 400),
          data={"page": "Matrix/Imported", "token": "forged"}),
    Route("imports.staged_image", "GET", f"/-/import/{'0' * 64}/image-000000000000.png", roles(LOGIN, 403, 404)),
    Route("imports.staged_preview", "GET", f"/-/import/{'0' * 64}?page=Matrix/Imported", roles(LOGIN, 403, 404)),
    # a call's files (issue 30): the compilation (names only with consent), the spreadsheets (names as the
    # reader may see them), the Word form and its upload into the draft (the matrix's file answers nothing: 400)
    Route("call_files.compilation", "GET", "/-/calls/{call}/compilation?format=md", EVERYONE),
    Route("call_files.compilation", "GET", "/-/calls/{call}/compilation?format=exe", roles(400, 400, 400)),
    Route("call_files.compilation", "GET", "/-/calls/no-such-call/compilation?format=md", roles(404, 404, 404)),
    Route("call_files.compilation_page", "POST", "/-/calls/{call}/compilation/page", roles(LOGIN, 403, 403, 403, 302),
          data={"page": "Matrix/Compilation", "as": "page"}),
    Route("call_files.responses_xlsx", "GET", "/-/calls/{call}/responses.xlsx", EVERYONE),
    Route("call_files.responses_csv", "GET", "/-/calls/{call}/responses.csv?group=governments&language=en", EVERYONE),
    Route("call_files.template", "GET", "/-/calls/{call}/template.docx", EVERYONE),
    Route("call_files.upload", "POST", "/-/calls/{call}/upload", roles(401, 400, 400),
          files={"file": ("answers.docx", minimal_docx("Answered by the matrix"))}),
    Route("call_files.upload", "POST", "/-/calls/no-such-call/upload", roles(404, 404, 404),
          files={"file": ("answers.docx", minimal_docx("Answered by the matrix"))}),
    # webhooks (issue 16): admins only; the matrix's wiki refuses loopback receivers (400, nothing added)
    Route("webhooks.webhooks", "GET", "/-/admin/webhooks", roles(LOGIN, 403, 403, 403, 200)),
    Route("webhooks.add", "POST", "/-/admin/webhooks", roles(LOGIN, 403, 403, 403, 400),
          data={"url": "http://127.0.0.1:9/hook", "events": "commit"}),
    Route("webhooks.delete", "POST", "/-/admin/webhooks/999999/delete", roles(LOGIN, 403, 403, 403, 404)),
    # operations (issue 25): health and readiness for anyone; metrics to loopback (the test client's
    # 127.0.0.1) or METRICS_TOKEN; the status page for admins
    Route("operations.health", "GET", "/-/health", EVERYONE, private_anonymous=200),
    Route("operations.ready", "GET", "/-/ready", EVERYONE, private_anonymous=200),
    Route("operations.metrics", "GET", "/-/metrics", EVERYONE, private_anonymous=200),
    Route("operations.metrics", "GET", "/-/metrics", roles(403, 403, 403), private_anonymous=403,
          headers={"X-Forwarded-For": "192.0.2.7"}),
    Route("operations.status", "GET", "/-/admin/status", roles(LOGIN, 403, 403, 403, 200)),
    # static files
    Route("static", "GET", "/-/static/wiki.css", EVERYONE, private_anonymous=200),
]

# Routes that answer with HTML a user string can reach (for the XSS and header checks).
HTML_GET_ROUTES = [route for route in ROUTES if route.method == "GET" and route.endpoint != "static"]
