"""A call for input's files: the compilation (Markdown, Word, OpenDocument, PDF), the responses as
a spreadsheet (.xlsx, .csv), the Word form to answer in and its upload into the respondent's draft.

Consent is honoured as everywhere (:mod:`wiki.actions.call_reading`): the compilation names only
respondents who chose ``cite``, whoever asks (it is meant to be published), so it is the same file
for everyone and is cached like any export, keyed by the calls branch's tip, the call and the
language; the spreadsheets give the names the reader may see. Office files go through the export
job runner (:func:`wiki.views.export.deliver`: the queue, the hourly limit, 202 while running);
an upload is converted by the ordinary import (:mod:`wiki.office.docimport`) in a job too, then
mapped to the questions by its headings (:mod:`wiki.office.callforms`) and kept as the
respondent's private draft, which the call's page shows in the answer form to check and submit.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Blueprint, current_app, flash, redirect, request, send_file, session, url_for
from flask_babel import force_locale, format_date, format_number, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import limits, names
from ..actions import call_reading as reading
from ..actions import calls as actions
from ..actions.context import Actor
from ..actions.imports import conversion_limits
from ..actions.pages import check_text, proposal_required, save
from ..actions.proposals import create as create_proposal
from ..auth import current_actor, role_required
from ..errors import N_, DocumentTooLarge, InvalidContent, InvalidPageName, NotPermitted, PageExists, WikiError
from ..i18n import format_time, text_direction
from ..i18n import language as interface_language
from ..office import callforms, convert, docimport, sheets
from ..office.jobs import DONE, FAILED, Progress, Work, job_key
from ..render import Renderer
from ..store.call_model import LANGUAGES, Call
from ..templating import group_name
from ..texts import check_page_text
from .attachments import human_size
from .calls import GUESTS_KEY, guest_label, show
from .common import BadForm, form_field, query_arg, renderer, store
from .export import JobFailed, deliver, jobs, start_job

if TYPE_CHECKING:
    from ..office.document import Labels

bp = Blueprint("call_files", __name__)

LAYOUT_VERSION = 4  # bumped when the files change for the same responses
FORMATS = ("md", "docx", "odt", "pdf")


def raise_body_limit() -> None:
    """A Word response may be as large as an imported document (``MAX_IMPORT_BYTES``): raise the
    body limit for that one route (registered before CSRFProtect's hook, which reads the form)."""
    if request.endpoint == "call_files.upload" and request.method == "POST":
        request.max_content_length = max(current_app.config["MAX_CONTENT_LENGTH"] or 0,
                                         current_app.config["MAX_IMPORT_BYTES"] + 65536)


def _language() -> str:
    """The language of the file: ``lang`` when it names one of the six, else the reader's."""
    lang = query_arg("lang") or request.form.get("lang") or ""
    if lang and lang not in LANGUAGES:
        raise BadForm(N_("The language must be one of: %(values)s."), values=", ".join(LANGUAGES))
    return lang or interface_language()


def _stem(call: Call, language: str) -> str:
    return f"{call.slug}-{language}"


# --------------------------------------------------------------------------- the compilation


def compilation_label(item: reading.Shown) -> str:
    """How the compilation signs an answer: the name (and organization) only with consent ``cite``,
    whoever reads it; otherwise the group alone."""
    response = item.response
    group = group_name(response.group)
    if response.consent == "cite" and response.name:
        if response.organization:
            label = _("%(name)s, %(organization)s (%(group)s)", name=response.name,
                      organization=response.organization, group=group)
        else:
            label = _("%(name)s (%(group)s)", name=response.name, group=group)
    else:
        label = _("A respondent (%(group)s)", group=group)
    return guest_label(response, label)


def compilation_text(call: Call, language: str) -> str:
    """The compilation's Markdown in ``language``: the responses counted (late ones once accepted)."""
    items = reading.visible(Actor(), call, counted_only=True)
    texts = {"deadline": _("Deadline: %(date)s", date=format_time(call.deadline)),
             "responses": ngettext("%(num)d response.", "%(num)d responses.", len(items)),
             "no_answers": _("No answers to this question.")}
    return reading.compilation_markdown(call, items, language, label=compilation_label, texts=texts,
                                        direction=text_direction())


def _format() -> str:
    fmt = query_arg("format") or "md"
    if fmt not in FORMATS:
        raise BadForm(N_("Choose the format of the export: %(formats)s."),
                      formats=", ".join(f"format={name}" for name in FORMATS))
    return fmt


@bp.get("/-/calls/<slug>/compilation")
def compilation(slug: str) -> Response:
    """The compilation as ``format`` md, docx, odt or pdf (``lang``: its language)."""
    call = actions.get(slug)
    fmt, language = _format(), _language()
    tip = store().calls.cache_token()
    filename = f"{_stem(call, language)}-compilation-{tip[:10]}.{fmt}"
    with force_locale(language):
        text = compilation_text(call, language)
        labels = _labels(call, language)
    if fmt == "md":
        return send_file(io.BytesIO(text.encode("utf-8")), mimetype=convert.MIME_TYPES["md"], as_attachment=True,
                         download_name=filename, max_age=0)
    base_url = str(current_app.config["SITE_URL"]).rstrip("/")
    key = job_key("call-compilation", LAYOUT_VERSION, fmt, tip, slug, language, labels, base_url)
    title = call.title_in(language)
    return deliver(key, _compilation_work(call, text, title, fmt, labels, base_url), filename=filename,
                   mimetype=convert.MIME_TYPES[fmt], title=title, background=False)


def _labels(call: Call, language: str) -> Labels:
    from ..office.document import Labels

    newest = max((response.updated for response in store().calls.responses(call.slug)), default=call.created)
    return Labels(contents=_("Contents"), date=format_date(datetime.fromtimestamp(newest, UTC), "long"),
                  language=language, direction=text_direction())


def _compilation_work(call: Call, text: str, title: str, fmt: str, labels: Labels, base_url: str) -> Work:
    """The job: .docx and .odt by pandoc from the Markdown (:mod:`wiki.office.compilation`); PDF
    from the rendered HTML (links to the wiki's pages absolute), as page exports."""
    from ..office import compilation, exporter
    from ..office.document import ExportDocument, SourcePage

    export_limits, content_language = conversion_limits(), current_app.config["CONTENT_LANGUAGE"]
    headings = {" ".join(question.text_in(labels.language).split()): _plain(question.text_in(labels.language))
                for question in call.questions}  # the contents' words, rendered here (the job has no app)

    def plain(heading: str) -> str:
        return headings.get(heading, heading)

    def work(progress: Progress) -> bytes:
        if fmt != "pdf":  # pandoc from the Markdown: a third of the time and memory of the HTML (issue 30)
            document = ExportDocument(title=title, pages=[], labels=labels, base_url=base_url,
                                      content_language=content_language)
            progress(0.4, "Converting")
            return compilation.export(document, fmt, text, plain=plain, limits=export_limits)
        rendering = Renderer(lambda page: base_url + "/" + quote(page, safe="/"), cache_size=4)
        html = rendering.render(text).html
        page = SourcePage(page=f"-/calls/{call.slug}", title=title, text=text, html=html,
                          language=labels.language)
        document = ExportDocument(title=title, pages=[page], labels=labels, base_url=base_url,
                                  content_language=content_language)
        return exporter.export(document, fmt, images=lambda _page, _name: None, limits=export_limits,
                               progress=progress).data

    return work


@bp.post("/-/calls/<slug>/compilation/page")
@role_required("reader")
def compilation_page(slug: str) -> Response:
    """The secretariat turns the compilation into a page (new) or a proposal (new page or a change)."""
    actor = current_actor()
    call = actions.get(slug)
    if not actions.may_run(actor):
        raise NotPermitted(N_("Only the secretariat and admins can open and run calls for input."))
    try:
        page = names.normalize_page_name(form_field("page").strip())
    except InvalidPageName as error:
        raise BadForm(N_("The page name: %(reason)s"), reason=error.message) from error
    kind = form_field("as", required=False, default="page")
    if kind not in ("page", "proposal"):
        raise BadForm(N_("Make the compilation a page or a proposal."))
    language = _language()
    with force_locale(language):
        text = compilation_text(call, language)
    check_page_text(text, int(current_app.config["MAX_PAGE_BYTES"]))  # before a proposal is opened for it
    check_text(text)
    summary = _("Compilation of the responses to %(call)s", call=call.title_in(language))
    wiki = store()
    if kind == "page" and not proposal_required(actor, page):
        if wiki.page_exists(page, wiki.head()):
            raise PageExists(N_("The page %(page)s already exists: choose another name, or make the compilation "
                                "a proposal to change it."), page=page)
        save(actor, page, text, base=None, summary_text=summary)
        flash(_("The compilation is now the page %(page)s.", page=page), "success")
        return redirect(url_for("pages.view", page=page))
    proposal = create_proposal(actor, summary, _("The compilation of the responses to the call for input "
                                                 "%(call)s.", call=call.title_in(language)))
    save(actor, page, text, base=wiki.head(), summary_text=summary, proposal=proposal.number)
    flash(_("Proposal %(number)s holds the compilation; the agreed text is unchanged until it is merged.",
            number=proposal.number), "success")
    return redirect(url_for("pages.view", page=page, proposal=proposal.number))


# --------------------------------------------------------------------------- spreadsheets


def _table(call: Call) -> tuple[list[str], list[list[str]]]:
    """The responses the reader may see, filtered like the responses page, one row each."""
    group = (query_arg("group") or "")[:reading.MAX_QUERY_CHARS]
    language = (query_arg("language") or "")[:reading.MAX_QUERY_CHARS]
    query = (query_arg("q") or "")[:reading.MAX_QUERY_CHARS]
    items = reading.visible(current_actor(), call, group=group, language=language, query=query)
    return reading.table(call, items, interface_language(), _sheet_label)


def _sheet_label(item: reading.Shown) -> str:
    """A row's respondent: the name where this reader may see it, else the group's words."""
    return guest_label(item.response,
                               item.name or _("A respondent (%(group)s)", group=group_name(item.response.group)))


@bp.get("/-/calls/<slug>/responses.xlsx")
def responses_xlsx(slug: str) -> Response:
    call = actions.get(slug)
    header, rows = _table(call)
    data = sheets.to_xlsx(header, rows, title=call.slug, right_to_left=text_direction() == "rtl")
    return send_file(io.BytesIO(data), mimetype=sheets.XLSX_MIME, as_attachment=True, max_age=0,
                     download_name=f"{call.slug}-responses.xlsx")


@bp.get("/-/calls/<slug>/responses.csv")
def responses_csv(slug: str) -> Response:
    call = actions.get(slug)
    header, rows = _table(call)
    return send_file(io.BytesIO(sheets.to_csv(header, rows)), mimetype=sheets.CSV_MIME, as_attachment=True,
                     max_age=0, download_name=f"{call.slug}-responses.csv")


# --------------------------------------------------------------------------- the Word form


def _plain(markdown: str) -> str:
    """A question's text without its Markdown: what a heading in Word shows."""
    import lxml.html

    html = renderer().render(markdown).html
    return " ".join(lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div").text_content().split())


@bp.get("/-/calls/<slug>/template.docx")
def template(slug: str) -> Response:
    """The call as a Word form: its title and text, one heading per question, the options listed."""
    call = actions.get(slug)
    language = _language()
    with force_locale(language):
        form = callforms.Template(
            title=call.title_in(language), description_html=renderer().render(call.description_in(language)).html,
            instructions=_("Write your answer below each question and keep the headings as they are. For a "
                           "question with options, keep the options you choose and delete the others, or mark "
                           "them with an X. Then upload this file on the call's page.") + " " + _(
                "Upload it by the deadline, %(date)s, at %(address)s.", date=format_time(call.deadline),
                address=url_for("calls.show", slug=call.slug, _external=True)),
            questions=[(_plain(question.text_in(language)), question.options) for question in call.questions],
            language=language, direction=text_direction())
    key = job_key("call-template", LAYOUT_VERSION, store().calls.cache_token(), slug, language, form)
    limit = conversion_limits()
    return deliver(key, lambda progress: callforms.template_docx(form, limit),
                   filename=f"{_stem(call, language)}-form.docx", mimetype=convert.MIME_TYPES["docx"],
                   title=form.title, background=False)


def _respondent(call: Call) -> actions.Respondent:
    """Who uploads: the logged-in user, or the invited guest this browser answered as."""
    actor = current_actor()
    guest = session.get(GUESTS_KEY, {}).get(call.slug, "") if not actor.logged_in else ""
    return actions.respondent_for(actor, call, invitation=request.form.get("invitation") or query_arg("invitation"),
                                  guest=guest, key=actions.guest_key(call, guest) if guest else "",
                                  address=request.remote_addr or "")


def _upload() -> bytes:
    uploads = [item for item in request.files.getlist("file") if item.filename]
    if len(uploads) != 1:
        raise BadForm(N_("Choose one .docx or .odt file to import."))
    limit = int(current_app.config["MAX_IMPORT_BYTES"])
    data = uploads[0].stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge(N_("Documents to import can be at most %(size)s (%(bytes)s bytes). Nothing was "
                                  "saved."), size=human_size(limit, interface_language()), bytes=format_number(limit))
    if not data:
        raise BadForm(N_("The file is empty."))
    return data


@bp.post("/-/calls/<slug>/upload")
def upload(slug: str) -> Response | tuple[str, int]:
    """A filled-in Word (or OpenDocument) form: converted, mapped to the questions by its headings,
    and kept as the respondent's draft (their other draft answers stay); the call's page shows it."""
    call = actions.get(slug)
    respondent = _respondent(call)
    try:
        _upload_into_draft(call, respondent)
    except WikiError as error:  # the wrong file: said on the call's page, by the upload form, not on a dead end
        if error.code in (401, 403, 404) or error.code >= 500:
            raise
        flash(error.message, "error")
        return show(slug), error.code
    if respondent.guest:  # the call's page finds a guest's draft by this browser's session, as after a draft
        session.setdefault(GUESTS_KEY, {})[slug] = respondent.guest
        session.modified = True
    invitation = {"invitation": request.form["invitation"]} if request.form.get("invitation") else {}
    return redirect(url_for("calls.show", slug=slug, **invitation) + "#answer")


def _upload_into_draft(call: Call, respondent: actions.Respondent) -> None:
    """The uploaded file converted (in a job), mapped to the questions and kept as the draft."""
    # guests are counted per address, as their responses are (a guest id is free to make)
    limits.check("uploads", Actor(username=f"guest@{respondent.address}") if respondent.guest else respondent.actor)
    data = _upload()
    key = job_key("call-upload", LAYOUT_VERSION, hashlib.sha256(data).hexdigest())
    limit = conversion_limits()

    def work(progress: Progress) -> bytes:
        progress(0.1, "Converting")
        return docimport.convert(data, limits=limit).markdown.encode("utf-8")

    job = start_job(key, work, filename="response.md", mimetype="text/markdown", wait=True, count_as=None)
    if job.state == FAILED:
        raise JobFailed(job)
    path = jobs().result(key) if job.state == DONE else None
    if path is None:
        raise InvalidContent(N_("The document is still being converted. Upload it again in a minute: the "
                                "conversion goes on meanwhile."))
    _fill_draft(call, respondent, path.read_text(encoding="utf-8"))


def _fill_draft(call: Call, respondent: actions.Respondent, markdown: str) -> None:
    """The mapped answers into the respondent's draft, or a 400 naming the headings not understood."""
    plain = {}
    for question in call.questions:
        for text in (question.text, *(text for _language, text in question.translations)):
            plain[text] = _plain(text)
    mapped = callforms.answers_from_markdown(call, markdown, plain=plain, question_words=(_("Question"),))
    if mapped.unknown:
        raise InvalidContent(N_("These headings of the document name no question of the call: %(headings)s. Use "
                                "the call's Word form, or head each answer with its question's text or “Question "
                                "N”. Nothing was saved."),
                             headings="; ".join(f"“{heading[:100]}”" for heading in mapped.unknown[:20]))
    if not mapped.answers:
        raise InvalidContent(N_("The document answers none of the call's questions: write each answer under its "
                                "question's heading, as in the call's Word form. Nothing was saved."))
    answers = _checked(call, mapped.answers)
    previous = actions.draft(respondent, call.slug) or {}
    kept = previous.get("answers") if isinstance(previous.get("answers"), dict) else {}
    actions.save_draft(respondent, call.slug, {
        "answers": {**kept, **answers}, "organization": previous.get("organization", ""),
        "consent": previous.get("consent", ""), "language": previous.get("language") or interface_language()})
    flash(ngettext("The document answers %(num)d question: check the answer below, then submit it. Until then "
                   "it is a draft only you can see.",
                   "The document answers %(num)d questions: check the answers below, then submit them. Until "
                   "then they are a draft only you can see.", len(answers)), "success")
    if mapped.images_dropped:
        flash(_("Images cannot be part of a response: they were left out."), "warning")


def _checked(call: Call, answers: dict[str, object]) -> dict[str, object]:
    """The answers as the answer form holds them (lists for options), checked like a submission."""
    from ..store.call_model import check_answers

    return {question: list(value) if isinstance(value, tuple) else value
            for question, value in check_answers(call, answers).items()}
