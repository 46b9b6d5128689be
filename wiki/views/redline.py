"""Redlines as files: ``/-/compare/export`` (every page changed between two revisions) and
``/<page>/-/diff/export`` (one page), each ``?from=X&to=Y&format=docx|pdf``.

The .docx carries Word tracked changes whose author is the stakeholder group and user of the
commit that made each change, dated by that commit; the PDF colours them by group with a legend
and change bars (:mod:`wiki.redline`). Files are jobs of the export runner
(:func:`wiki.views.export.deliver`), keyed by the two commits, the attribution notes and the
labels, so they are cached; a compare of more than ``EXPORT_BACKGROUND_PAGES`` pages runs in the
background behind the exports' progress page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import names, redline
from ..actions.imports import conversion_limits as limits
from ..actions.reading import is_agreed
from ..attachments import sniff
from ..errors import N_, PageNotFound, WikiError
from ..i18n import language, text_direction
from ..office import convert
from ..office.jobs import Progress, Work, job_key
from ..store import Store
from ..templating import group_name
from .common import on_canonical_page, query_arg, store
from .export import deliver
from .site import MAX_DOCUMENT_PAGES

bp = Blueprint("redline", __name__)
FORMATS = ("docx", "pdf")
LAYOUT_VERSION = 1  # bumped when redline files change for the same input (cached files are keyed by it)


class RedlineRefused(WikiError):
    code = 400


def _request() -> tuple[str, str, str, str, str]:
    """``(format, from as asked, to as asked, from commit, to commit)``; bad values are 4xx."""
    fmt = query_arg("format")
    if fmt not in FORMATS:
        raise RedlineRefused(N_("Choose the format of the redline: format=docx or format=pdf."))
    from_rev, to_rev = query_arg("from"), query_arg("to")
    if not from_rev:
        raise RedlineRefused(N_("Say what to compare: from=VERSION&to=VERSION (commits or version names)."))
    wiki = store()
    from_commit, to_commit = wiki.resolve(from_rev), wiki.resolve(to_rev)
    if from_commit == to_commit:
        raise RedlineRefused(N_("Both versions are the same commit; there is nothing to redline."))
    return fmt, from_rev, to_rev or to_commit, from_commit, to_commit


def _version(rev: str, commit: str) -> str:
    return rev if names.is_version_name(rev) else commit[:10]


def _labels(wiki: Store, from_rev: str, to_rev: str, from_commit: str, to_commit: str) -> dict[str, str]:
    def when(commit: str) -> str:
        return format_date(datetime.fromtimestamp(wiki.commit_info(commit).timestamp, UTC), "long")

    return {"subtitle": _("From %(old)s (%(old_date)s) to %(new)s (%(new_date)s)",
                          old=_version(from_rev, from_commit), old_date=when(from_commit),
                          new=_version(to_rev, to_commit), new_date=when(to_commit)),
            "legend": _("Changes by stakeholder group (inserted text underlined, deleted text struck through)"),
            "inserted": _("inserted"), "deleted": _("deleted"), "language": language(),
            "direction": text_direction(),
            "watermark": "" if is_agreed(to_commit) and is_agreed(from_commit) else _("Proposal — not agreed text")}


def _work(wiki: Store, changes: list[tuple[str, str, str | None]], from_commit: str, to_commit: str, *,
          fmt: str, title: str, labels: dict[str, str], whole_document: bool) -> Work:
    """The job: read each page's lineage (in the job's thread), attribute, compare, write the file.

    ``changes`` are ``(page at Y, its title, its name at X when renamed)``.
    """
    # The legend's and the tracked changes' names of the groups in the reader's language (the job
    # runs outside the request); the secretariat last, as before (the colours follow this order).
    secretariat = current_app.config["SECRETARIAT_GROUP"]
    groups = {slug: group_name(slug) for slug in [*current_app.config["GROUPS"], secretariat]}
    unattributed = _(redline.UNATTRIBUTED)
    content_language = current_app.config["CONTENT_LANGUAGE"]
    export_limits = limits()

    def work(progress: Progress) -> bytes:
        pages = []
        for number, (page, page_title, old_page) in enumerate(changes):
            old_text, new_text, steps = wiki.page_lineage(page, from_commit, to_commit, old_page=old_page)
            pages.append(redline.PageChange(page_title, old_text, new_text,
                                            [(step.commit, step.parents, step.text) for step in steps]))
            progress(0.4 * (number + 1) / max(1, len(changes)), "Reading the pages")
        result = redline.build(pages, groups, whole_document=whole_document, limits=export_limits,
                               images=_image_loader(wiki, to_commit, from_commit), unattributed=unattributed)
        progress(0.6, "Converting")
        from ..redline import output  # here, not at start: it loads lxml (~30 ms of every worker's start)

        if fmt == "docx":
            return output.to_docx(result, title=title, limits=export_limits, watermark=labels["watermark"])
        html = output.to_html(result, title=title, subtitle=labels["subtitle"], legend_title=labels["legend"],
                              inserted=labels["inserted"], deleted=labels["deleted"], language=labels["language"],
                              direction=labels["direction"], content_language=content_language, limits=export_limits,
                              watermark=labels["watermark"])
        return output.to_pdf(html, limits=export_limits)

    return work


def _image_loader(wiki: Store, *commits: str) -> redline.ImageLoader:
    """An attachment's type and bytes as of the first of ``commits`` that has it (Y, then X)."""

    def load(page: str, name: str) -> tuple[str, bytes] | None:
        for commit in commits:
            try:
                _attachment, data, _commit = wiki.read_attachment(names.normalize_page_name(page), name, commit)
            except WikiError:
                continue
            return sniff(data).mimetype, data
        return None

    return load


def _key(scope: str, fmt: str, from_commit: str, to_commit: str, labels: dict[str, str], wiki: Store) -> str:
    """Everything the file depends on: the commits, the attribution notes, the groups, the labels."""
    return job_key("redline", LAYOUT_VERSION, scope, fmt, from_commit, to_commit, wiki.log.notes_tip(),
                   sorted(current_app.config["GROUPS"].items()), sorted(labels.items()))


@bp.get("/-/compare/export")
def compare_export() -> Response:
    """Every page added, removed, renamed or changed between ``from`` and ``to``, as one redline."""
    fmt, from_rev, to_rev, from_commit, to_commit = _request()
    wiki = store()
    comparison = wiki.compare(from_commit, to_commit)
    if not comparison.pages:
        raise RedlineRefused(N_("No page changed between these two versions; there is nothing to redline."))
    if len(comparison.pages) > MAX_DOCUMENT_PAGES:
        raise RedlineRefused(N_("%(count)s pages changed between these versions; a redline can hold at most "
                                "%(limit)s. Compare versions closer together, or one page at a time."),
                             count=len(comparison.pages), limit=MAX_DOCUMENT_PAGES)
    changes = [(item.change.page, names.page_title(item.change.page), item.change.old_page or None)
               for item in comparison.pages]
    site = current_app.config["SITE_NAME"]
    title = _("%(site)s: redline", site=site)
    labels = _labels(wiki, from_rev, to_rev, from_commit, to_commit)
    filename = f"{site}-redline-{_version(from_rev, from_commit)}-{_version(to_rev, to_commit)}.{fmt}"
    work = _work(wiki, changes, from_commit, to_commit, fmt=fmt, title=title, labels=labels, whole_document=True)
    background = len(changes) > int(current_app.config["EXPORT_BACKGROUND_PAGES"])
    return deliver(_key("document", fmt, from_commit, to_commit, labels, wiki), work,
                   filename=filename.replace(" ", "_"), mimetype=convert.MIME_TYPES[fmt], title=title,
                   background=background)


@bp.get("/<path:page>/-/diff/export")
@on_canonical_page
def diff_export(page: str) -> Response:
    """One page's redline between ``from`` and ``to`` (it may have been renamed in between)."""
    fmt, from_rev, to_rev, from_commit, to_commit = _request()
    wiki = store()
    try:
        old_page = wiki.read_page_as_of(page, from_commit).page
    except PageNotFound:
        old_page = page
    if not wiki.page_exists(page, to_commit) and not wiki.page_exists(old_page, from_commit):
        abort(404, description=_("The page %(page)s exists in neither version.", page=page))
    title = _("Redline: %(title)s", title=names.page_title(page))
    labels = _labels(wiki, from_rev, to_rev, from_commit, to_commit)
    filename = (f"{page.replace('/', '-')}-redline-{_version(from_rev, from_commit)}-"
                f"{_version(to_rev, to_commit)}.{fmt}")
    work = _work(wiki, [(page, names.page_title(page), old_page if old_page != page else None)], from_commit,
                 to_commit, fmt=fmt, title=title, labels=labels, whole_document=False)
    return deliver(_key(f"page:{page}", fmt, from_commit, to_commit, labels, wiki), work, filename=filename,
                   mimetype=convert.MIME_TYPES[fmt], title=title, background=False)
