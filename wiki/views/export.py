"""Exports: a page or the whole document (or a section) as .docx, .odt, .pdf or .md, at any revision.

``/<page>/-/export?format=…&rev=…`` and ``/-/document/export?format=…&rev=…&section=…`` (both take
``lang=`` for language versions). Each
export is a job of :class:`~wiki.office.jobs.JobRunner`, keyed by what the file is made of (the
commit, the format, the options, the reader's language; never the request's headers, such as
``Host``: links in the files point at ``SITE_URL``), so identical requests share one job and one
cached file. New jobs take a place in the runner's bounded queue (per person or anonymous address,
anonymous visitors together, and in all; a 429 with ``Retry-After`` past that) and count towards
``LIMIT_EXPORTS_PER_HOUR``. Small exports are converted
while the request waits; large ones (more than ``EXPORT_BACKGROUND_PAGES`` pages) run in the
background behind a progress page that polls ``/-/exports/<key>`` (``export.js``; without script,
the page refreshes itself) and becomes the download when the file is ready.

:func:`deliver` is the part other exports (redlines) reuse: give it a key, the work and a file
name, and it answers with the download, the progress page, or the failure.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, send_file
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import limits as rate_limits
from .. import names
from ..actions.imports import conversion_limits as limits
from ..actions.reading import is_agreed
from ..attachments import sniff
from ..errors import N_, PageNotFound, WikiError
from ..i18n import language, text_direction
from ..office import convert
from ..office.admission import JobLimits, client_name
from ..office.jobs import DONE, FAILED, LOST, QUEUED, RUNNING, Job, JobRunner, Progress, Work, is_key, job_key
from ..render import Renderer
from ..store import Store
from .common import on_canonical_page, query_arg, store
from .site import MAX_DOCUMENT_PAGES, document_order
from .translations import language_arg, source_language

if TYPE_CHECKING:
    from ..office.document import Labels

bp = Blueprint("export", __name__)

# Bumped whenever exported files change for the same input, so cached files of older code are not
# served (the cache key includes it).
LAYOUT_VERSION = 2
# Stage names jobs report (English, marked for translation here), shown translated on the progress
# page; a job of another view may report its own, marked with N_ where it is written.
STAGES = {"": N_("Waiting to start"), "Reading the pages": N_("Reading the pages"),
          "Preparing the pages": N_("Preparing the pages"), "Converting": N_("Converting")}


def stage_name(stage: str) -> str:
    """A job's stage in the reader's language."""
    return _(STAGES.get(stage, stage) or STAGES[""])


class ExportRefused(WikiError):
    code = 400


def init_app(app: Flask) -> None:
    """Settings (checked in wiki/settings.py) and the per-process job runner (its state is on disk,
    shared by all workers)."""
    app.config.setdefault("EXPORT_DIRECTORY", str(Path(app.instance_path) / "exports"))
    app.config.setdefault("EXPORT_CACHE_BYTES", 500 * 1024 * 1024)
    app.config.setdefault("EXPORT_BACKGROUND_PAGES", 5)
    app.config.setdefault("EXPORT_TIMEOUT", 120)
    # A small export is waited for this long, then answered with the progress page like a large one
    # (the job goes on): a request must end well within gunicorn's worker timeout (30 s).
    app.config.setdefault("EXPORT_WAIT_SECONDS", 20)
    app.config.setdefault("EXPORT_MEMORY_BYTES", 2 * 1024 ** 3)
    app.config.setdefault("SITE_URL", "")  # https://wiki.example.org: where exported files link to
    app.config.setdefault("EXPORT_WORKERS", 2)  # conversions running at once, across all workers
    app.config.setdefault("JOBS_QUEUED", 16)  # export and import jobs waiting or running at once, in all
    app.config.setdefault("JOBS_PER_CLIENT", 2)  # ... of one person or one anonymous address
    app.config.setdefault("JOBS_ANONYMOUS", 4)  # ... of all visitors who are not logged in together
    job_limits = JobLimits(queued=app.config["JOBS_QUEUED"], per_client=app.config["JOBS_PER_CLIENT"],
                           anonymous=app.config["JOBS_ANONYMOUS"], running=app.config["EXPORT_WORKERS"])
    app.extensions["wiki_jobs"] = JobRunner(app.config["EXPORT_DIRECTORY"], limits=job_limits,
                                            max_bytes=app.config["EXPORT_CACHE_BYTES"])
    app.register_blueprint(bp)


def jobs() -> JobRunner:
    return current_app.extensions["wiki_jobs"]


def job_client() -> str:
    """Who asks for a job, for the queue's per-client limits: the account, or the anonymous address."""
    return client_name(current_user.username if current_user.is_authenticated else None, request.remote_addr)


class JobFailed(WikiError):
    """A failed job, answered with its status (4xx: what was wrong with the input) and message: a
    WikiError's, in the reader's language; for any other failure a general one (Python's own text
    of it is English and for the log: see office.jobs)."""

    def __init__(self, job: Job) -> None:
        if job.error_template:
            super().__init__(job.error_template, **job.error_params)
        else:
            super().__init__(N_("The file could not be made: something went wrong on the wiki's side. Try "
                                "again later, or tell an administrator if it keeps failing."))
        self.code = job.error_code if 400 <= job.error_code < 600 else 500


def start_job(key: str, work: Work, *, filename: str, mimetype: str, wait: bool,
              count_as: str | None = "exports") -> Job:
    """Start (or join) the job ``key`` for the current client: a new job counts towards the
    person's hourly ``count_as`` (see wiki.limits) and needs a place in the queue (both raise a 429
    when full). With ``wait``, waits up to ``EXPORT_WAIT_SECONDS`` for it to finish."""
    runner = jobs()
    existing = runner.get(key)
    if count_as and (existing is None or existing.state not in (QUEUED, RUNNING)):
        rate_limits.check(count_as)
    if wait:
        return runner.run(key, work, filename=filename, mimetype=mimetype, client=job_client(),
                          timeout=float(current_app.config["EXPORT_WAIT_SECONDS"]))
    return runner.submit(key, work, filename=filename, mimetype=mimetype, client=job_client())


# --------------------------------------------------------------------------- delivering a job

def deliver(key: str, work: Work, *, filename: str, mimetype: str, title: str, background: bool) -> Response:
    """Answer an export request for the job ``key``.

    The cached file when there is one (``Content-Disposition: attachment; filename=…``). Otherwise
    ``background=False`` runs ``work`` now and sends its file (after ``EXPORT_WAIT_SECONDS``, the
    progress page instead, the job going on); ``background=True`` starts it (or
    joins the same job started by anyone, in any worker) and answers 202 with a progress page that
    comes back to this URL, which is then the download. A failed job is its error (4xx) page.
    ``work`` runs in a job thread: it gets no request context, so read what it needs beforehand.
    """
    runner = jobs()
    path = runner.result(key)
    job = runner.get(key) if path is not None else None
    if path is None or job is None or job.state != DONE:
        job = start_job(key, work, filename=filename, mimetype=mimetype, wait=not background)
        path = runner.result(key) if job.state == DONE else None
    if job.state == FAILED:
        raise JobFailed(job)
    if path is None:
        response = Response(render_template("export/progress.html", job=job, key=key, title=title,
                                            stage=stage_name(job.stage)), 202, mimetype="text/html")
        response.headers["Retry-After"] = "2"
        return response
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0,
                     etag=key)


@bp.get("/-/exports/<key>")
def status(key: str) -> Response:
    """A job's state as JSON, for the progress page's script (any worker answers from disk)."""
    job = jobs().get(key) if is_key(key) else None
    if job is None:
        abort(404, description=_("There is no export %(key)s.", key=key))
    return jsonify(state=job.state, progress=round(job.progress, 3),
                   stage=stage_name(job.stage) if job.state not in (DONE, FAILED, LOST) else "",
                   error=JobFailed(job).message if job.state == FAILED else "")


# --------------------------------------------------------------------------- what an export contains

def _format() -> str:
    fmt = query_arg("format")
    if fmt not in _exporter().FORMATS:
        raise ExportRefused(N_("Choose the format of the export: %(formats)s."),
                            formats=", ".join(f"format={name}" for name in _exporter().FORMATS))
    return fmt


def _exporter() -> ModuleType:
    """The exporter, imported at the first export rather than at start: it loads lxml (~30 ms of
    every worker's start)."""
    from ..office import exporter

    return exporter


def _labels(commit: str, rev: str | None, timestamp: int) -> Labels:
    """The title page's words in the reader's language: the version's name when ``rev`` is one, the
    date, the commit (in small print), and the watermark of a proposal's revision."""
    from ..office.document import Labels

    name = _version(rev)
    title = next((version.title for version in store().versions() if version.name == name), name) if name else ""
    return Labels(contents=_("Contents"), version=title or name, commit=_("Commit %(commit)s", commit=commit[:10]),
                  watermark="" if is_agreed(commit) else _("Proposal — not agreed text"),
                  date=format_date(datetime.fromtimestamp(timestamp, UTC), "long"),
                  language=language(), direction=text_direction())


def _file_name(stem: str, commit: str, rev: str | None, fmt: str, lang: str | None = None) -> str:
    """``<stem>[-<lang>]-<version name or short commit>.<ext>``: the version travels with the file."""
    version = rev if rev and names.is_version_name(rev) else commit[:10]
    stem = stem.replace("/", "-").replace(" ", "_") + (f"-{lang}" if lang else "")
    return f"{stem}-{version}.{_exporter().EXTENSIONS[fmt]}"


def _version(rev: str | None) -> str:
    """What of ``rev`` a file shows besides its commit: a version name (in the file name and on the
    title page); other spellings of a commit (``abc1234``, ``abc12345``...) make the same file, one job."""
    return rev if rev and names.is_version_name(rev) else ""


def _version_language() -> str | None:
    """The ``lang`` parameter when it asks for a language version (not the originals' language)."""
    lang = language_arg()
    return lang if lang and lang != source_language() else None


def _text(wiki: Store, page: str, commit: str, lang: str | None, *, required: bool) -> tuple[str, str]:
    """A page's text at ``commit`` and its language: the ``lang`` version when asked for and present
    (``required``: else a 404), otherwise the original."""
    if lang:
        try:
            return wiki.read_version(page, lang, commit)[0], lang
        except PageNotFound:
            if required:
                raise
    return wiki.read_page(page, commit).text, ""


def _base_url() -> str:
    """Where exported files link back to: the setting ``SITE_URL``, never the request's ``Host`` (a
    cached file is shared by everyone who asks; an empty setting leaves the links relative)."""
    return str(current_app.config["SITE_URL"]).rstrip("/")


def _export_work(wiki: Store, commit: str, pages: list[str], *, title: str, labels: Labels, base_url: str,
                 fmt: str, lang: str | None, version: str = "") -> Work:
    """The job: read and render the pages at ``commit`` (in the job's thread), then convert."""
    from ..office.document import ExportDocument, SourcePage
    from ..office.provenance import Origin

    export_limits, content_language = limits(), current_app.config["CONTENT_LANGUAGE"]

    def work(progress: Progress) -> bytes:
        renderer = Renderer(lambda page: base_url + "/" + quote(page, safe="/"), cache_size=16)
        sources = []
        for number, page in enumerate(pages):
            text, language = _text(wiki, page, commit, lang, required=False)
            html = ""
            if fmt != "md":
                rendered = renderer.render(text)
                html = renderer.mark_missing(rendered, wiki.missing_pages(rendered.links, commit))
            sources.append(SourcePage(page=page, title=names.page_title(page), text=text, html=html, language=language))
            progress(0.1 * number / max(1, len(pages)), "Reading the pages")
        origin = None if lang else Origin(pages=tuple(pages), commit=commit, version=version)
        document = ExportDocument(title=title, pages=sources, labels=labels, base_url=base_url,
                                  content_language=content_language, origin=origin)
        return _exporter().export(document, fmt, images=_image_loader(wiki, commit), limits=export_limits,
                               progress=progress).data

    return work


def _image_loader(wiki: Store, commit: str) -> Callable[[str, str], tuple[str, bytes] | None]:
    def load(page: str, name: str) -> tuple[str, bytes] | None:
        try:
            _attachment, data, _commit = wiki.read_attachment(names.normalize_page_name(page), name, commit)
        except WikiError:
            return None
        return sniff(data).mimetype, data

    return load


@bp.get("/<path:page>/-/export")
@on_canonical_page
def page_export(page: str) -> Response:
    """One page at a revision (``rev``: commit or version name), or its ``lang`` version, as a file."""
    fmt, rev, lang = _format(), query_arg("rev"), _version_language()
    wiki = store()
    commit = wiki.resolve(rev)
    if not wiki.page_exists(page, commit):
        abort(404, description=_("This page did not exist in that revision.") if rev
              else _("There is no page %(page)s.", page=page))
    text, _language = _text(wiki, page, commit, lang, required=True)
    filename = _file_name(page, commit, rev, fmt, lang)
    if fmt == "md":  # the page's Markdown exactly as written
        return send_file(io.BytesIO(text.encode("utf-8")), mimetype=convert.MIME_TYPES["md"], as_attachment=True,
                         download_name=filename, max_age=0)
    labels = _labels(commit, rev, wiki.commit_info(commit).timestamp)
    key = job_key("page", LAYOUT_VERSION, fmt, commit, _version(rev), page, lang or "", labels, _base_url())
    work = _export_work(wiki, commit, [page], title=names.page_title(page), labels=labels, base_url=_base_url(),
                        fmt=fmt, lang=lang, version=_version(rev))
    return deliver(key, work, filename=filename, mimetype=convert.MIME_TYPES[fmt], title=names.page_title(page),
                   background=False)


@bp.get("/-/document/export")
def document_export() -> Response:
    """The whole document, or one section (``section``), at a revision, ordered as ``/-/document``;
    with ``lang``, each page's version in that language where there is one."""
    fmt, rev, section, lang = _format(), query_arg("rev"), query_arg("section"), _version_language()
    wiki = store()
    commit = wiki.resolve(rev)
    if section:
        section = names.normalize_page_name(section)
    pages = document_order(wiki, commit, section)
    if not pages:
        abort(404, description=_("There are no pages in the section %(section)s.", section=section) if section
              else _("There are no pages in this revision."))
    if len(pages) > MAX_DOCUMENT_PAGES:
        raise ExportRefused(N_("The document has %(count)s pages; export at most %(limit)s at once by choosing a "
                               "section."), count=len(pages), limit=MAX_DOCUMENT_PAGES)
    site = current_app.config["SITE_NAME"]
    title = f"{site}: {names.page_title(section)}" if section else site
    filename = _file_name(f"{site}-{section}" if section else site, commit, rev, fmt, lang)
    labels = _labels(commit, rev, wiki.commit_info(commit).timestamp)
    key = job_key("document", LAYOUT_VERSION, fmt, commit, _version(rev), section or "", lang or "", labels,
                  _base_url())
    work = _export_work(wiki, commit, pages, title=title, labels=labels, base_url=_base_url(), fmt=fmt, lang=lang,
                        version=_version(rev))
    background = fmt != "md" and len(pages) > int(current_app.config["EXPORT_BACKGROUND_PAGES"])
    return deliver(key, work, filename=filename, mimetype=convert.MIME_TYPES[fmt], title=title,
                   background=background)
