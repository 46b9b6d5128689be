"""Calls for input through HTTP (issue 30): the secretariat opens a call with three questions, two
groups answer (one only in aggregate), a response changes before the deadline and is refused after
it, the responses read by question and by respondent honour consent, drafts stay private, invited
guests answer without an account, and a real `git clone` carries every response with its trailers."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from wiki.actions import calls as call_actions
from wiki.store.call_model import CALLS_REF

from .support.app import Auth, csrf_token, make_app
from .support.git_http import serve

QUESTIONS = {
    "count": "3",
    "question-0-text": "Which gaps in international Internet public policy do you see?", "question-0-kind": "text",
    "question-1-text": "Your stakeholder category", "question-1-kind": "choice",
    "question-1-options": "Government\nCivil society\nPrivate sector",
    "question-2-text": "Which issues matter most?", "question-2-kind": "choices",
    "question-2-options": "Access\nSecurity\nHuman rights",
}


def open_call(client: FlaskClient, **fields: str) -> str:
    deadline = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 7 * 86400))
    data = {"csrf_token": csrf_token(client, "/-/calls/new"), "title": "Mapping of Internet public policy issues",
            "description": "Please answer by the deadline.", "deadline": deadline, "audience": "users",
            "language": "en", **QUESTIONS, **fields}
    response = client.post("/-/calls/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def answer(client: FlaskClient, slug: str, *, q1: str, q2: str = "", q3: tuple[str, ...] = (), consent: str = "cite",
           organization: str = "", action: str = "submit", **extra: str):  # noqa: ANN201
    data: dict[str, object] = {"csrf_token": csrf_token(client, f"/-/calls/{slug}"), "answer-q1": q1,
                               "answer-q3": list(q3), "consent": consent, "organization": organization,
                               "language": "en", "action": action, **extra}
    if q2:
        data["answer-q2"] = q2
    return client.post(f"/-/calls/{slug}/respond", data=data)


def text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


@pytest.fixture
def app(tmp_path: Path):  # noqa: ANN201
    app = make_app(tmp_path / "instance")
    yield app
    app.extensions["wiki_store"].close()


def test_two_groups_answer_consent_is_honoured_and_the_deadline_holds(app, monkeypatch) -> None:  # noqa: ANN001
    admin, editor, other, reader = (app.test_client() for _ in range(4))
    Auth(admin).login("admin")
    Auth(editor).login("editor")  # civil society, answers only in aggregate
    Auth(other).login("editor2")  # private sector, may be cited
    slug = open_call(admin)
    assert slug == "mapping-of-internet-public-policy-issues"
    page = text(editor.get(f"/-/calls/{slug}"))
    assert "Which gaps in international Internet public policy do you see?" in page and "Open until" in page
    assert "open until" in text(reader.get("/-/calls"))

    assert answer(editor, slug, q1="Jurisdiction is *unclear*.", q2="Civil society", q3=("Access", "Human rights"),
                  consent="aggregate", organization="Digital Rights Org").status_code == 302
    assert answer(other, slug, q1="Spam and security.", q2="Private sector", q3=("Security",),
                  organization="ACME Networks").status_code == 302
    # Changed before the deadline: a second commit in the response's history.
    assert answer(editor, slug, q1="Jurisdiction is *unclear*; and access.", q2="Civil society",
                  q3=("Access",), consent="aggregate", organization="Digital Rights Org").status_code == 302
    history = text(reader.get(f"/-/calls/{slug}/responses/editor/history"))
    assert history.count("Change the response to") == 1 and history.count("Respond to") == 1
    assert "Eda Editor" not in history

    by_question = text(reader.get(f"/-/calls/{slug}/responses?by=question&question=q1"))
    assert "<em>unclear</em>; and access." in by_question and "Spam and security." in by_question
    assert "Pat Second" in by_question and "ACME Networks" in by_question  # consented to be cited
    assert "Eda Editor" not in by_question and "Digital Rights Org" not in by_question
    counts = text(reader.get(f"/-/calls/{slug}/responses?by=question&question=q3"))
    assert re.search(r"Access</th><td>1</td>", counts) and re.search(r"Security</th><td>1</td>", counts)
    by_respondent = text(reader.get(f"/-/calls/{slug}/responses?by=respondent&group=private-sector"))
    assert "Spam and security." in by_respondent and "unclear" not in by_respondent
    # The secretariat sees who answered in aggregate, told not to quote them by name; so does the respondent.
    secretariat_view = text(admin.get(f"/-/calls/{slug}/responses?by=respondent"))
    assert "Eda Editor" in secretariat_view and secretariat_view.count("not to be quoted by name") == 1
    # name and organization isolated from each other (an Arabic organization beside a Latin name)
    assert "<bdi>Eda Editor</bdi> (<bdi>Digital Rights Org</bdi>)" in secretariat_view
    assert "not to be quoted by name" in text(admin.get(f"/-/calls/{slug}/responses?by=question&question=q1"))
    assert "Eda Editor" in text(editor.get(f"/-/calls/{slug}/responses?by=respondent"))
    assert "not to be quoted by name" not in text(reader.get(f"/-/calls/{slug}/responses?by=respondent"))

    # After the deadline: a change is refused with a message, and what was typed is kept as a draft.
    deadline = app.extensions["wiki_store"].calls.get(slug).deadline
    monkeypatch.setattr(call_actions, "now", lambda: deadline + 60)
    refused = answer(editor, slug, q1="Too late to change.", q2="Civil society", consent="aggregate")
    assert refused.status_code == 409 and "can no longer be changed" in text(refused)
    after = text(editor.get(f"/-/calls/{slug}"))
    assert "Too late to change." in after  # the draft, for its author only
    sent = after.split("What you sent")[1]  # and what was sent, though the form is gone
    assert "Jurisdiction is <em>unclear</em>; and access." in sent and 'name="answer-q1"' not in after
    assert "deadline passed on" in text(reader.get("/-/calls"))
    assert "Too late to change." not in text(other.get(f"/-/calls/{slug}"))
    assert "Too late to change." not in text(reader.get(f"/-/calls/{slug}/responses?by=respondent"))
    assert "and access." in text(reader.get(f"/-/calls/{slug}/responses?by=respondent"))
    # A first response after the deadline is kept as late, uncounted until the secretariat accepts it.
    late = app.test_client()
    Auth(late).login("reviewer")
    assert answer(late, slug, q1="Late thoughts.", q2="Government").status_code == 302
    assert "Late thoughts." not in text(reader.get(f"/-/calls/{slug}/responses?by=respondent"))
    assert "Late responses awaiting acceptance" in text(admin.get(f"/-/calls/{slug}"))
    accepted = admin.post(f"/-/calls/{slug}/manage", data={"csrf_token": csrf_token(admin, f"/-/calls/{slug}"),
                                                           "action": "accept", "respondent": "reviewer"})
    assert accepted.status_code == 302
    assert "Late thoughts." in text(reader.get(f"/-/calls/{slug}/responses?by=respondent"))
    # Reopened with a new deadline, changes are accepted again.
    monkeypatch.undo()
    reopened = admin.post(f"/-/calls/{slug}/manage", data={
        "csrf_token": csrf_token(admin, f"/-/calls/{slug}"), "action": "close"})
    assert reopened.status_code == 302 and "This call is closed" in text(reader.get(f"/-/calls/{slug}"))
    assert "closed</small>" in text(reader.get("/-/calls"))
    assert answer(editor, slug, q1="Closed.", consent="aggregate").status_code == 409
    new_deadline = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 86400))
    admin.post(f"/-/calls/{slug}/manage", data={"csrf_token": csrf_token(admin, f"/-/calls/{slug}"),
                                                "action": "reopen", "deadline": new_deadline})
    assert answer(editor, slug, q1="Reopened, changed.", q2="Civil society", consent="aggregate").status_code == 302


def test_bad_input_is_refused_with_a_message_and_nothing_saved(app) -> None:  # noqa: ANN001
    admin, editor, anonymous = app.test_client(), app.test_client(), app.test_client()
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    past = open_call_status(admin, deadline="2020-01-01T00:00")
    assert past.status_code == 400 and "has passed" in text(past)
    # In Arabic the dates are isolates, or their parts swap places ("01T00:00:00Z-01-2020").
    admin.set_cookie("lang", "ar")
    assert "\u20662026-12-20T17:00\u2069" in text(admin.get("/-/calls/new"))  # the example of the label
    assert re.search("\u20682020-01-01[^\u2069<]*\u2069", text(open_call_status(admin, deadline="2020-01-01T00:00")))
    admin.set_cookie("lang", "en")
    assert open_call_status(editor).status_code == 403  # only the secretariat and admins run calls
    slug = open_call(admin)
    store = app.extensions["wiki_store"]
    cases = [
        ({"q1": "Fine.", "q2": "Nobody"}, "does not offer the option"),
        ({"q1": "Fine.", "consent": ""}, "cited by name"),
        ({"q1": "x" * 100_001}, "The answer to question 1 is longer than 100,000 bytes."),
        ({"q1": ""}, "Answer at least one question"),
    ]
    for fields, message in cases:
        refused = answer(editor, slug, **fields)
        assert refused.status_code == 400 and message in text(refused), fields
    assert store.calls.responses(slug) == ()  # nothing saved
    twice = editor.post(f"/-/calls/{slug}/respond", data=MultiDict([
        ("csrf_token", csrf_token(editor, f"/-/calls/{slug}")), ("answer-q2", "Government"),
        ("answer-q2", "Civil society"), ("consent", "cite"), ("action", "submit")]))
    assert twice.status_code == 400 and store.calls.responses(slug) == ()
    # The field a message names is translated with it.
    french = app.test_client()
    Auth(french).login("editor")
    french.set_cookie("lang", "fr")
    refused = answer(french, slug, q1="Bien.", organization="x" * 201)
    assert refused.status_code == 400 and "The organization" not in text(refused)
    # Without an account (and no invitation) nobody answers.
    refused = anonymous.post(f"/-/calls/{slug}/respond", data={"answer-q1": "Hi", "consent": "cite"})
    assert refused.status_code in (400, 401)  # the CSRF check or the login comes first
    assert "Log in to answer" in text(anonymous.get(f"/-/calls/{slug}"))
    assert anonymous.get("/-/calls/no-such-call").status_code == 404
    assert anonymous.get(f"/-/calls/{slug}/responses?by=nothing").status_code == 400
    assert anonymous.get(f"/-/calls/{slug}/responses/..%2f/history").status_code == 404


def open_call_status(client: FlaskClient, **fields: str):  # noqa: ANN201
    deadline = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 86400))
    data = {"csrf_token": csrf_token(client, "/"), "title": "A call", "deadline": deadline, **QUESTIONS, **fields}
    return client.post("/-/calls/new", data=data)


def test_the_same_response_sent_again_changes_nothing(app, monkeypatch) -> None:  # noqa: ANN001
    admin, editor = app.test_client(), app.test_client()
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    slug = open_call(admin)
    form = {"q1": "Jurisdiction.", "q2": "Civil society", "q3": ("Access", "Security"), "organization": "DRO"}
    assert answer(editor, slug, **form).status_code == 302
    first = app.extensions["wiki_store"].calls.response(slug, "editor")
    monkeypatch.setattr(call_actions, "now", lambda: first.updated + 60)  # sent again a minute later
    again = answer(editor, slug, **form)
    assert again.status_code == 302
    assert "Nothing changed in your response." in text(editor.get(again.headers["Location"]))
    assert app.extensions["wiki_store"].calls.response(slug, "editor") == first  # "last changed" stays
    assert len(app.extensions["wiki_store"].calls.history(slug, "editor")) == 1


def test_an_invited_guest_answers_without_an_account_and_comes_back(app) -> None:  # noqa: ANN001
    admin, guest = app.test_client(), app.test_client()
    Auth(admin).login("admin")
    slug = open_call(admin, audience="invited")
    page = text(admin.get(f"/-/calls/{slug}"))
    assert "Send its invitation link" in page  # what to share, said as the call opens
    link = re.search(r'href="(http://localhost/-/calls/[^"]+\?invitation=[0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    invitation = link.rsplit("=", 1)[1]
    assert guest.get(f"/-/calls/{slug}?invitation=0123").status_code == 200
    assert "not valid" in text(guest.get(f"/-/calls/{slug}?invitation=0123"))
    assert "not valid" in text(guest.get(f"/-/calls/{slug}?invitation=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7"))  # not ASCII
    assert guest.get(f"/-/calls/{slug}?invitation={invitation}&respondent=guest-1&key=%D9%85").status_code == 200
    form = text(guest.get(f"/-/calls/{slug}?invitation={invitation}"))
    assert 'name="name"' in form and 'name="group"' in form
    # No group is chosen for a new guest: one who does not look is asked, not counted as a government.
    assert '<select id="group" name="group" required><option value="">' in form and " selected>" not in \
        form.split('name="group"', 1)[1].split("</select>", 1)[0]
    sent = guest.post(f"/-/calls/{slug}/respond", data={
        "csrf_token": csrf_token(guest, f"/-/calls/{slug}?invitation={invitation}"), "invitation": invitation,
        "name": "Olga Observer", "group": "technical-academic", "answer-q1": "An observer's view.",
        "consent": "cite", "language": "fr", "action": "submit"})
    assert sent.status_code == 302, text(sent)[:1000]
    (response,) = app.extensions["wiki_store"].calls.responses(slug)
    assert response.guest and response.name == "Olga Observer" and response.group == "technical-academic"
    back = text(guest.get(sent.headers["Location"]))  # where the browser goes: the form, not "log in"
    assert "Keep this link" in back and "An observer&#39;s view." in back and 'name="answer-q1"' in back
    # the name and group they gave stay in the form: sending a change keeps them, not the first group listed
    assert 'value="Olga Observer"' in back and '<option value="technical-academic" selected>' in back
    # The secretariat renews the link: the old one stops working.
    admin.post(f"/-/calls/{slug}/manage", data={"csrf_token": csrf_token(admin, f"/-/calls/{slug}"),
                                                "action": "invitation"})
    assert "not valid" in text(app.test_client().get(f"/-/calls/{slug}?invitation={invitation}"))


def test_a_clone_carries_the_call_and_every_response(tmp_path: Path) -> None:
    served = serve(tmp_path)
    wiki = next(served)
    try:
        admin, editor = wiki.app.test_client(), wiki.app.test_client()
        Auth(admin).login("admin")
        Auth(editor).login("editor")
        slug = open_call(admin)
        assert answer(editor, slug, q1="Line one.\n\nLine two.", q2="Civil society", q3=("Access",),
                      consent="aggregate").status_code == 302
        clone = wiki.clone()
        wiki.git("fetch", "-q", "origin", f"{CALLS_REF}:refs/remotes/origin/meta-calls", cwd=clone)
        shown = wiki.git("show", f"origin/meta-calls:{slug}/responses/editor/q1.md", cwd=clone).stdout
        assert shown == "Line one.\n\nLine two.\n"
        log = wiki.git("log", "-1", "--format=%B", "origin/meta-calls", cwd=clone).stdout
        assert f"Call: {slug}" in log and "Response: editor" in log and "Group: civil-society" in log
        blame = wiki.git("blame", "origin/meta-calls", "--", f"{slug}/responses/editor/q1.md", cwd=clone).stdout
        assert "Line two." in blame
        # The branch belongs to the wiki: pushing to it is refused.
        wiki.git("checkout", "-q", "-b", "mine", "origin/meta-calls", cwd=clone)
        wiki.commit(clone, {f"{slug}/responses/editor/q1.md": b"Forged.\n"}, "forge")
        refused = wiki.push(clone, f"HEAD:{CALLS_REF}")
        assert refused.returncode != 0 and "calls for input" in refused.stderr
    finally:
        next(served, None)


def test_an_answer_stays_inside_its_paragraphs_of_the_compilation(app) -> None:  # noqa: ANN001
    """An open code fence, an underlined heading or a footnote in one answer must not swallow or
    restyle the answers after it: the compilation's outline is one heading per question."""
    import markdown

    admin, first, second = (app.test_client() for _ in range(3))
    Auth(admin).login("admin")
    Auth(first).login("editor")
    Auth(second).login("editor2")
    slug = open_call(admin)
    opened_fence = "Intro[^1]\n\n[^1]: mine\n\nUnderlined\n==========\n\n```\nan open fence"
    assert answer(first, slug, q1=opened_fence).status_code == 302
    assert answer(second, slug, q1="The second answer[^1].\n\n[^1]: theirs").status_code == 302
    compiled = text(admin.get(f"/-/calls/{slug}/compilation?format=md"))
    html = markdown.markdown(compiled, extensions=["fenced_code", "footnotes"])
    code = "".join(re.findall(r"<code>.*?</code>", html, re.S))
    assert "The second answer" in html and "The second answer" not in code
    assert "<h1>Underlined</h1>" not in html and len(re.findall(r"<h2", html)) == 3  # one heading per question
    assert "mine" in html and "theirs" in html  # both footnotes, each its own


def test_guests_drafts_count_against_the_hourly_limit_per_address(tmp_path: Path) -> None:
    """Every new browser is a new guest: their drafts are rows of their own, so an address that keeps
    saving drafts from new sessions is stopped by LIMIT_RESPONSES_PER_HOUR (429), not the database."""
    app = make_app(tmp_path / "instance", LIMIT_RESPONSES_PER_HOUR=2)
    try:
        admin = app.test_client()
        Auth(admin).login("admin")
        slug = open_call(admin, audience="invited")
        link = re.search(r"\?invitation=([0-9a-f]+)", text(admin.get(f"/-/calls/{slug}"))).group(1)  # type: ignore[union-attr]
        statuses = []
        for _ in range(3):
            guest = app.test_client()  # a new session, a new guest id
            statuses.append(guest.post(f"/-/calls/{slug}/respond", data={
                "csrf_token": csrf_token(guest, f"/-/calls/{slug}?invitation={link}"), "invitation": link,
                "name": "Flooder", "group": "governments", "answer-q1": "x", "action": "draft"}).status_code)
        assert statuses == [302, 302, 429]
    finally:
        app.extensions["wiki_store"].close()



def test_guests_drafts_left_for_a_month_are_removed(app) -> None:  # noqa: ANN001
    """Each new browser of a guest leaves a draft of its own (up to 2 MB each, LIMIT_RESPONSES_PER_HOUR
    of them an hour from one address): those nobody touched for GUEST_DRAFT_DAYS go, so the
    accounts database does not grow for ever; a user's draft and a recent guest's stay."""
    from wiki.actions import call_drafts
    from wiki.notify.scheduler import run_due

    admin = app.test_client()
    Auth(admin).login("admin")
    slug = open_call(admin, audience="invited")
    with app.test_request_context():
        user = call_actions.Respondent(call_actions.Actor(username="editor", group="civil-society"))
        old, recent = (call_actions.Respondent(call_actions.Actor(), guest=f"guest-00000000000{n}", name="G",
                                               group="governments", address="192.0.2.9") for n in (1, 2))
        for respondent in (user, old, recent):
            call_actions.save_draft(respondent, slug, {"answers": {"q1": "Kept?"}})
    database = app.extensions["wiki_users"].database
    month_ago = int(time.time()) - call_drafts.GUEST_DRAFT_DAYS * 86400 - 60
    with database.connect() as db:
        db.execute("UPDATE call_drafts SET updated_at = ? WHERE respondent IN (?, ?)",
                   (month_ago, "editor", old.id))
    with app.app_context():
        assert run_due(app)["call_drafts"] == 1
    with app.test_request_context():
        assert call_actions.draft(old, slug) is None
        assert call_actions.draft(recent, slug) == call_actions.draft(user, slug) == {"answers": {"q1": "Kept?"}}


def edit_form(client: FlaskClient, slug: str) -> dict[str, str]:
    """The edit form's fields as the page gives them (hidden ones included), as a browser would send them."""
    html = text(client.get(f"/-/calls/{slug}/edit"))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    fields["title"] = re.search(r'name="title" type="text" maxlength="200" required value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    return {name: value.replace("&#39;", "'") for name, value in fields.items()}


def test_a_question_with_answers_is_never_removed(app) -> None:  # noqa: ANN001
    """Options may only grow, so that answers keep their meaning; a question with answers stays too
    (its answers would vanish from every view, and the respondent's next change would delete them)."""
    admin, editor = app.test_client(), app.test_client()
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    slug = open_call(admin)
    assert answer(editor, slug, q1="Jurisdiction.", q2="Government").status_code == 302
    form = edit_form(admin, slug)
    refused = admin.post(f"/-/calls/{slug}/edit", data={**form, "question-1-text": "", "question-1-options": ""})
    assert refused.status_code == 400 and "has answers" in text(refused)
    store = app.extensions["wiki_store"]
    assert [question.id for question in store.calls.get(slug).questions] == ["q1", "q2", "q3"]
    removed = admin.post(f"/-/calls/{slug}/edit", data={**form, "question-2-text": "", "question-2-options": ""})
    assert removed.status_code == 302  # nobody answered q3
    assert [question.id for question in store.calls.get(slug).questions] == ["q1", "q2"]
    (response,) = store.calls.responses(slug)
    assert response.answers == {"q1": "Jurisdiction.", "q2": "Government"}


def test_two_editors_of_a_call_do_not_undo_each_other(app) -> None:  # noqa: ANN001
    """The form says which version of the call it was made from: saved over a newer one, it is a 409
    that keeps what was typed, and the other's question stays."""
    first, second = app.test_client(), app.test_client()
    Auth(first).login("admin")
    from .support.call_fixtures import secretariat

    secretariat(app)
    Auth(second).login("sec")
    slug = open_call(first)
    stale = edit_form(first, slug)
    newer = edit_form(second, slug)
    added = second.post(f"/-/calls/{slug}/edit", data={**newer, "count": "4", "question-3-text": "One more?",
                                                        "question-3-kind": "text"})
    assert added.status_code == 302
    refused = first.post(f"/-/calls/{slug}/edit", data={**stale, "title": "A new title"})
    assert refused.status_code == 409 and "changed this call" in text(refused)
    assert 'value="A new title"' in text(refused)  # what was typed is shown again, not lost
    call = app.extensions["wiki_store"].calls.get(slug)
    assert call.title == "Mapping of Internet public policy issues" and call.questions[-1].text == "One more?"
    again = edit_form(first, slug)
    assert first.post(f"/-/calls/{slug}/edit", data={**again, "title": "A new title"}).status_code == 302
    call = app.extensions["wiki_store"].calls.get(slug)
    assert call.title == "A new title" and [question.id for question in call.questions] == ["q1", "q2", "q3", "q4"]


def test_an_invited_guest_is_never_shown_as_an_account_holder(app) -> None:  # noqa: ANN001
    """A guest names themselves and picks their group: wherever their response is signed (the site,
    the compilation, the spreadsheets) it says they are an invited guest, so nobody holding the link
    passes for a delegate."""
    admin, guest = app.test_client(), app.test_client()
    Auth(admin).login("admin")
    slug = open_call(admin, audience="invited")
    invitation = re.search(r"invitation=([0-9a-f]+)", text(admin.get(f"/-/calls/{slug}"))).group(1)  # type: ignore[union-attr]
    for name, consent in (("Government of Examplia", "cite"), ("Someone", "aggregate")):
        client = app.test_client()
        sent = client.post(f"/-/calls/{slug}/respond", data={
            "csrf_token": csrf_token(client, f"/-/calls/{slug}?invitation={invitation}"), "invitation": invitation,
            "name": name, "group": "governments", "answer-q1": f"{name}'s view.", "consent": consent,
            "organization": "Ministry" if consent == "cite" else "",
            "language": "en", "action": "submit"})
        assert sent.status_code == 302, text(sent)[:500]
    page = text(guest.get(f"/-/calls/{slug}/responses?by=respondent"))
    assert "<bdi>Government of Examplia</bdi> (<bdi>Ministry</bdi>), invited guest" in page
    assert "A respondent (Governments), invited guest" in page and "&lt;bdi" not in page
    compiled = text(guest.get(f"/-/calls/{slug}/compilation?format=md"))
    assert "Government of Examplia, Ministry (Governments), invited guest" in compiled
    assert "A respondent (Governments), invited guest" in compiled
    sheet = text(guest.get(f"/-/calls/{slug}/responses.csv"))
    assert "Government of Examplia, invited guest" in sheet  # the name column; the organization has its own
    listed = guest.get(f"/-/api/v1/calls/{slug}/responses").get_json()["items"]
    assert [item["guest"] for item in listed] == [True, True]


def test_answers_to_a_question_come_a_page_at_a_time(app, monkeypatch) -> None:  # noqa: ANN001
    """A call with hundreds of responses shows each question's answers in pages, each answer rendered
    once per page view, not all of them at once."""
    from wiki.actions import call_reading

    monkeypatch.setattr(call_reading, "PAGE_SIZE", 1)
    admin, editor, other, reader = (app.test_client() for _ in range(4))
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    Auth(other).login("editor2")
    slug = open_call(admin)
    assert answer(editor, slug, q1="First view.", q2="Civil society").status_code == 302
    assert answer(other, slug, q1="Second view.", q2="Private sector").status_code == 302
    base = f"/-/calls/{slug}/responses?by=question&question=q1"
    first, second = text(reader.get(base)), text(reader.get(base + "&p=2"))
    assert ("First view." in first) != ("First view." in second)
    assert ("Second view." in first) != ("Second view." in second)
    assert "p=2" in first and "Next" in first and "Previous" in second and "p=3" not in second
    assert "No answer to this question matches." in text(reader.get(base + "&p=3"))


def test_the_secretariat_runs_a_call_and_does_not_answer_it(app) -> None:  # noqa: ANN001
    """A member of the secretariat sees why there is no answer form for them, and a response sent
    anyway is refused: it would have been counted for no stakeholder group."""
    from .support.call_fixtures import secretariat

    secretariat(app)
    sec = app.test_client()
    Auth(sec).login("sec")
    slug = open_call(sec)
    page = text(sec.get(f"/-/calls/{slug}"))
    assert "your account is in none of them" in page and f'action="/-/calls/{slug}/respond"' not in page
    refused = answer(sec, slug, q1="Our own view.")
    assert refused.status_code == 403
    assert app.extensions["wiki_store"].calls.responses(slug) == ()


def test_the_list_of_calls_tells_a_delegate_what_awaits_them(app) -> None:  # noqa: ANN001
    """Each open call says, to someone who may answer it, whether their response is still awaited,
    saved as a draft only, or sent; visitors and the secretariat see no such mark."""
    from .support.call_fixtures import secretariat

    admin, editor, other, visitor = (app.test_client() for _ in range(4))
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    Auth(other).login("editor2")
    slug = open_call(admin)
    assert "awaiting your response" in text(editor.get("/-/calls"))
    assert answer(editor, slug, q1="Our view.", q2="Civil society").status_code == 302
    assert answer(other, slug, q1="Half done.", action="draft").status_code == 302
    assert "you responded" in text(editor.get("/-/calls")) and "awaiting your" not in text(editor.get("/-/calls"))
    assert "your draft is not submitted yet" in text(other.get("/-/calls"))
    secretariat(app)
    sec = app.test_client()
    Auth(sec).login("sec")
    for page in (text(visitor.get("/-/calls")), text(sec.get("/-/calls"))):
        assert "call-standing" not in page


def test_a_responses_history_shows_what_each_change_changed(app) -> None:  # noqa: ANN001
    admin, editor, reader = (app.test_client() for _ in range(3))
    Auth(admin).login("admin")
    Auth(editor).login("editor")
    slug = open_call(admin)
    assert answer(editor, slug, q1="Jurisdiction is unclear.", q2="Civil society", q3=("Access",)).status_code == 302
    assert answer(editor, slug, q1="Jurisdiction is unclear; so is access.", q2="Civil society",
                  q3=("Access", "Security")).status_code == 302
    commits = app.extensions["wiki_store"].calls.history(slug, "editor")
    assert len(commits) == 2
    history = text(reader.get(f"/-/calls/{slug}/responses/editor/history"))
    assert f"commit={commits[0].id}" in history and "what changed" in history
    latest = text(reader.get(f"/-/calls/{slug}/responses/editor/history?commit={commits[0].id}"))
    assert "What changed in" in latest and "Question 1" in latest and "Question 3" in latest
    assert "Question 1: <bdi>Which gaps" in latest  # isolated: an English question in an Arabic heading
    assert "unclear<ins>; so is access</ins>." in latest  # the words added to the text answer
    assert 'id="question-1-change-1"' in latest
    assert re.search(r"<del[^>]*>Access</del> → <ins[^>]*>Access · Security</ins>", latest)
    assert "Question 2" not in latest.split("What changed in")[1]  # unchanged: not listed
    first = text(reader.get(f"/-/calls/{slug}/responses/editor/history?commit={commits[1].id}"))
    assert "Jurisdiction is unclear." in first and "Question 2" in first  # everything, as first answered
    assert reader.get(f"/-/calls/{slug}/responses/editor/history?commit={'0' * 40}").status_code == 404
    assert reader.get(f"/-/calls/{slug}/responses/editor/history?commit=nonsense").status_code == 404
