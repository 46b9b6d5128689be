"""The XSS corpus and the checks shared by tests/test_xss.py (HTML) and tests/e2e/test_xss_browser.py.

``payloads()`` is tests/xss_payloads.txt plus generated variants of ``javascript:`` and ``data:``
URLs (case, entities, percent-encoding, control characters and whitespace inside the scheme).
``fill_wiki(app)`` pushes the payloads through every place a user string reaches HTML and returns
the table of URLs that show them. A feature that adds such a place adds a row to ``SINKS``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask

from wiki import names
from wiki.errors import InvalidPageName, PageExists
from wiki.store import Author

from .support.app import make_app

CORPUS = Path(__file__).with_name("xss_payloads.txt")
SCRIPT_CALL = "alert(1)"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "ping",
                  "srcset", "codebase", "cite", "longdesc", "manifest", "dynsrc", "lowsrc"}
# The wiki's own charts are inline SVG, so <svg> itself is allowed; its scriptable parts are not.
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "style", "marquee",
                  "audio", "video", "source", "isindex", "foreignobject", "animate", "set", "handler", "listener"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
MARKDOWN_WRAPPERS = ("{}", "[x]({})", "![x]({})", "<{}>", "[x][r]\n\n[r]: {}", "[[{}]]", "[[Home|{}]]",
                     "**{}**", "> {}", "| a |\n|---|\n| {} |")


def _scheme_variants(scheme: str, body: str) -> list[str]:
    """Spellings browsers (or sloppy sanitizers) have read as ``scheme``."""
    name = scheme.rstrip(":")
    entity = "".join(f"&#{ord(char)};" for char in name)
    hex_entity = "".join(f"&#x{ord(char):x};" for char in name)
    variants = [
        f"{name}:{body}", f"{name.upper()}:{body}", f"{name.title()}:{body}", f"{name[0].upper()}{name[1:]}:{body}",
        f"{entity}:{body}", f"{hex_entity}:{body}", f"{name}&#58;{body}", f"{name}&colon;{body}",
        f"{name}%3A{body}", f"%{ord(name[0]):02x}{name[1:]}:{body}",
        f" {name}:{body}", f"\t{name}:{body}", f"\x01{name}:{body}", f"\x00{name}:{body}",
    ]
    for control in ("\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x1f", "&#x09;", "&#x0A;", "&#13;", "&Tab;"):
        variants.append(f"{name[:4]}{control}{name[4:]}:{body}")
    return variants


@cache
def payloads() -> tuple[str, ...]:
    """The corpus: the file's payloads and the scheme variants, each once, in a stable order."""
    base = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("# ")]
    generated = _scheme_variants("javascript:", "alert(1)") + _scheme_variants("data:", "text/html,<script>"
                                                                                 "alert(1)</script>")
    generated += [f"[click]({variant})" for variant in _scheme_variants("javascript:", "alert(1)")[:12]]
    generated += [f'<a href="{variant}">click</a>' for variant in _scheme_variants("javascript:", "alert(1)")[:12]]
    seen: dict[str, None] = {}
    for payload in base + generated:
        seen.setdefault(payload, None)
    return tuple(seen)


def valid_names(limit: int = 60) -> list[str]:
    """Page names made from payloads that pass validation (forbidden characters dropped)."""
    found: dict[str, None] = {}
    for payload in payloads():
        for candidate in (payload, "".join(char for char in payload if char not in names.FORBIDDEN_CHARS)):
            try:
                found.setdefault("Xss/" + names.normalize_page_name(candidate)[:150].rstrip("._"), None)
            except InvalidPageName:
                continue
    result = []
    for name in found:
        try:
            result.append(names.normalize_page_name(name))
        except InvalidPageName:
            continue
    return result[:limit]


def valid_display_names() -> list[str]:
    """Payloads that a user could have as a display name (≤ 80 characters, no control characters)."""
    return [p for p in payloads() if len(p) <= 80 and p.strip() and not any(ord(c) < 32 or c == "\x7f" for c in p)]


# --------------------------------------------------------------------------- checking HTML


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            if set(values) - {"src", "defer", "type"} or not values.get("src", "").startswith("/-/static/"):
                self.problems.append(f"<script {values}>")
            self.in_script = True
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "link" and not values.get("href", "").startswith(("/-/static/", "/-/changes.atom", "http")):
            self.problems.append(f"<link {values}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"expression|url\s*\(|javascript", value, re.I):
                self.problems.append(f"<{tag} style={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")


def dangerous_url(value: str) -> bool:
    """Whether a URL would run script: its scheme, with whitespace and controls removed, lowercased."""
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
    return compact.startswith(DANGEROUS_SCHEMES)


def inspect_html(html: str) -> list[str]:
    """Executable markup in ``html``: script other than ours, handlers, script URLs, frames."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def inspect_feed(xml: str) -> list[str]:
    """The Atom feed must be well-formed XML whose text constructs are plain text (never HTML)."""
    try:
        root = ElementTree.fromstring(xml.encode("utf-8"))
    except ElementTree.ParseError as error:
        return [f"the feed is not well-formed XML: {error}"]
    problems = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag != "link" and element.get("type") not in (None, "text"):
            problems.append(f"<{tag} type={element.get('type')!r}> would be read as markup")
        if tag == "link" and dangerous_url(element.get("href", "")):
            problems.append(f"<link href={element.get('href')!r}>")
        if "}" in element.tag and not element.tag.startswith("{http://www.w3.org/2005/Atom}"):
            problems.append(f"foreign element {element.tag}")
    return problems


# --------------------------------------------------------------------------- filling a wiki


@dataclass(frozen=True)
class Sink:
    """A place user strings reach: how to put the payloads there, and the URLs that show them."""

    name: str
    fill: Callable[[Flask], list[str]]


def _author(index: int = 0, name: str = "Xss Tester", group: str = "governments") -> Author:
    return Author(name=name, email=f"xss{index}@example.org", username=f"xss{index}", group=group)


def _fill_page_text(app: Flask) -> list[str]:
    store = app.extensions["wiki_store"]
    corpus = list(payloads())
    urls = []
    for number, start in enumerate(range(0, len(corpus), 60)):
        page = f"Xss/Text_{number}"
        chunk = corpus[start:start + 60]
        first = "\n\n".join(wrapper.format(p) for p in chunk[: len(chunk) // 2] for wrapper in MARKDOWN_WRAPPERS[:3])
        second = "\n\n".join(wrapper.format(p) for p in chunk for wrapper in MARKDOWN_WRAPPERS)
        store.save_page(page, first.replace("\x00", ""), base=store.head(), author=_author(), summary="first")
        store.save_page(page, second.replace("\x00", ""), base=store.head(), author=_author(), summary="second")
        first_commit = store.page_history(page)[-1].id
        urls += [f"/{page}", f"/{page}/-/history", f"/{page}/-/diff", f"/{page}/-/diff?view=split",
                 f"/{page}/-/diff?view=inline", f"/{page}/-/edit", f"/{page}?rev={first_commit}",
                 f"/{page}/-/blame", f"/-/compare?from={first_commit}&to={store.head()}",
                 f"/-/compare?from={first_commit}&to={store.head()}&view=source"]
    return urls


def _fill_page_names(app: Flask) -> list[str]:
    store = app.extensions["wiki_store"]
    urls = ["/-/pages", "/-/changes"]
    for index, page in enumerate(valid_names()):
        try:
            store.save_page(page, f"[[{page}]]\n", base=store.head(), author=_author(index), summary=f"Create {page}")
        except PageExists:  # two payloads that differ only by case
            continue
        urls += [f"/{page}", f"/{page}/-/history", f"/{page}/-/diff", f"/{page}/-/blame",
                 f"/{page}/-/rename", f"/{page}/-/delete", f"/{page}/-/endorse"] if index < 12 else [f"/{page}"]
    return urls


def _fill_summaries(app: Flask) -> list[str]:
    store = app.extensions["wiki_store"]
    for index, payload in enumerate(payloads()):
        store.save_page("Xss/Summaries", f"version {index}\n", base=store.head(), author=_author(), summary=payload)
    return ["/Xss/Summaries", "/Xss/Summaries/-/history", "/Xss/Summaries/-/history?p=2",
            "/Xss/Summaries/-/history?p=3", "/Xss/Summaries/-/diff", "/Xss/Summaries/-/blame", "/-/changes",
            "/-/contributions"]


def _fill_people(app: Flask) -> list[str]:
    """Display names and group names (GROUPS is configured with payload names by ``make_xss_app``)."""
    store = app.extensions["wiki_store"]
    groups = [slug for slug in app.config["GROUPS"] if slug.startswith("xss-")]
    for index, display in enumerate(valid_display_names()[:80]):
        group = groups[index % len(groups)]
        store.save_page("Xss/People", f"edit {index}\n", base=store.head(), summary=f"edit {index}",
                        author=_author(index, name=display, group=group))
    return ["/Xss/People", "/Xss/People/-/history", "/Xss/People/-/history?p=2", "/Xss/People/-/blame",
            "/Xss/People/-/diff", "/-/changes", "/-/contributions", "/-/endorsements", "/Xss/People/-/endorse"]


def _fill_search(app: Flask) -> list[str]:
    """Search queries (echoed in the form and the title) and snippets of pages holding payloads."""
    from urllib.parse import quote

    store = app.extensions["wiki_store"]
    text = "\n\n".join(f"findme {p}" for p in payloads()).replace("\x00", "")
    store.save_page("Xss/Searchable", text, base=store.head(), author=_author(), summary="searchable")
    urls = [f"/-/search?q={quote(word)}" for word in ("findme", "alert", "script", "onerror", "javascript",
                                                       "findme alert", '"findme"', "findme*")]
    urls += [f"/-/search?q={quote(p)}" for p in payloads()[::3] if "\x00" not in p]
    urls += ["/-/wanted", "/Home/-/backlinks", "/Xss/Text_0/-/backlinks"]
    return urls


def attachment_names() -> list[str]:
    """Attachment names made from payloads: the characters a name may hold, and a .txt ending."""
    from wiki import attachments

    found: dict[str, None] = {}
    for payload in payloads():
        stem = re.sub(r"[^\w.()+,-]", "", payload).strip("._-")[:60]
        try:
            name = attachments.check_name(f"x{stem}.txt")
        except attachments.InvalidAttachment:
            continue
        if all(name.casefold() != other.casefold() for other in found):  # case twins are refused
            found.setdefault(name, None)
    return list(found)[:30]


def _fill_attachments(app: Flask) -> list[str]:
    store = app.extensions["wiki_store"]
    store.save_page("Xss/Files", "# Files\n", base=store.head(), author=_author(), summary="files")
    corpus = payloads()
    for index, name in enumerate(attachment_names()):
        store.save_attachment("Xss/Files", name, f"{corpus[index]}\n".replace("\x00", "").encode(),
                              author=_author(), summary=corpus[index])
    urls = ["/Xss/Files/-/attachments", "/Xss/Files", "/Xss/Files/-/history", "/-/changes"]
    urls += [f"/Xss/Files/-/attachments/{name}/history" for name in attachment_names()[:10]]
    return urls


def _fill_proposals(app: Flask) -> list[str]:
    """Proposal titles, rationales, comments, objections (current and stale), closing and override
    reasons, and a page inside one."""
    store = app.extensions["wiki_store"]
    urls = ["/-/proposals", "/-/proposals.atom", "/-/proposals?state=open", "/-/proposals?state=closed"]
    for index, payload in enumerate(p for p in payloads()[:40] if "\x00" not in p):
        proposal = store.proposals.create(payload[:200] or "x", payload, author=_author())
        store.proposals.comment(proposal.number, payload or "x", author=_author())
        if index % 4 == 0:
            store.proposals.pages_of(proposal.number).save_page("Xss/Proposed", f"{payload}\n", base=None,
                                                                author=_author(), summary=payload)
            head = store.proposals.get(proposal.number).head
            store.proposals.position(proposal.number, "object", head, reason=payload or "x", author=_author())
            urls += [f"/Xss/Proposed?proposal={proposal.number}", f"/Xss/Proposed/-/edit?proposal={proposal.number}",
                     f"/-/search?q=alert&proposal={proposal.number}",  # snippets of the proposal's text
                     f"/-/search?q=script&proposal={proposal.number}"]
            # a later draft makes the objection stale: the page quotes what it said
            store.proposals.pages_of(proposal.number).save_page("Xss/Proposed", f"{payload}\nlater\n", base=head,
                                                                author=_author(), summary="later")
        elif index % 4 == 1:
            store.proposals.close(proposal.number, payload, author=_author())
        elif index % 8 == 2:  # merged by an admin without consensus: the page shows the override's reason
            store.proposals.pages_of(proposal.number).save_page(f"Xss/Merged_{index}", "merged\n", base=None,
                                                                author=_author(), summary="draft")
            store.merge_proposal(proposal.number, groups=tuple(app.config["GROUPS"]), author=_author(),
                                 display_name="Admin", admin=True, reason=payload.strip() or "x")
        urls.append(f"/-/proposals/{proposal.number}")
    return urls


def _fill_tokens(app: Flask) -> list[str]:
    """Token names, on the owner's list and the admins' (the admin owns them, so both show them)."""
    import time

    from wiki.tokens import TokenError

    tokens, admin = app.extensions["wiki_tokens"], app.extensions["wiki_users"].require("admin")
    for payload in payloads()[:60]:
        try:
            tokens.create(admin, payload[:80], "read", int(time.time()) + 86400)
        except TokenError:  # control characters and empty names are refused
            continue
    return ["/-/account/tokens", "/-/admin/tokens"]
def _fill_comments(app: Flask) -> list[str]:
    """Comment texts and replies, quoted passages (found in a page of payloads, and outdated ones
    shown as quoted), a group of payload name on the threads and in the lists, and reasons for
    hiding threads as spam."""
    from wiki.store.comment_model import Anchor

    store = app.extensions["wiki_store"]
    discussions = app.extensions["wiki_discussions"]
    corpus = [p for p in payloads() if "\x00" not in p][:40]
    store.save_page("Xss/Comments", "\n\n".join(f"para {p}" for p in corpus) + "\n", base=store.head(),
                    author=_author(), summary="comments")
    head = store.head()
    blob = store.page_blob_id("Xss/Comments", head)
    blocks = discussions.passages(blob).blocks
    paragraphs = [number for number, block in enumerate(blocks, 1) if block.end > block.start]
    groups = [slug for slug in app.config["GROUPS"] if slug.startswith("xss-")]
    for index, payload in enumerate(corpus):
        anchor = discussions.anchor(blob, head, paragraph=paragraphs[index % len(paragraphs)])
        author = _author(index, group=groups[index % len(groups)] if groups else "governments")
        kind = ("comment", "question", "objection", "support")[index % 4]
        number = store.comments.start("Xss/Comments", anchor, kind, payload or "x", proposal=None, author=author)
        store.comments.reply(number, payload or "x", author=author)
        forged = Anchor(rev=head, blob=blob, quote=payload or "x", prefix=payload, suffix=payload, position=10 ** 6)
        store.comments.start("Xss/Comments", forged, kind, payload or "x", proposal=None, author=author)
        if index % 3 == 0:  # hidden as spam with the payload as the reason (moderators see it), some shown again
            store.comments.set_hidden(number, True, author=_author(index), reason=payload)
            if index % 2:
                store.comments.set_hidden(number, False, author=_author(index))
    return ["/Xss/Comments", "/Xss/Comments/-/comments", "/Xss/Comments/-/comments?paragraph=1",
            "/-/comments", "/-/comments?state=outdated", "/-/comments?state=all", "/-/comments.atom"]


def _fill_imports(app: Flask) -> list[str]:
    """Text of an imported Word file: each payload a paragraph of the document, converted by pandoc."""
    from xml.sax.saxutils import escape

    from wiki.office import docimport

    from .routes import minimal_docx

    store = app.extensions["wiki_store"]
    printable = [p for p in payloads() if not any(ord(c) < 32 or c == "\x7f" for c in p)]
    data = minimal_docx("</w:t></w:r></w:p><w:p><w:r><w:t>".join(escape(p) for p in printable))
    converted = docimport.convert(data)
    store.save_page("Xss/Imported", docimport.for_page(converted, "/Xss/Imported/-/attachments/"),
                    base=store.head(), author=_author(), summary="imported")
    return ["/Xss/Imported", "/Xss/Imported/-/history", "/Xss/Imported/-/diff", "/Xss/Imported/-/blame"]
def _fill_webhooks(app: Flask) -> list[str]:
    """Webhook URLs, who added them, and delivery log lines (an error holds the receiver's words)."""
    queue = app.extensions["wiki_webhooks"].queue
    for payload in payloads()[:40]:
        path = re.sub(r"[\x00-\x20\x7f]+", "", payload)
        webhook = queue.add_endpoint(f"http://93.184.215.14/{path}", [], "s" * 20, site_url="", created_by=payload)
        with queue.database.connect() as db:
            db.execute("INSERT INTO webhook_deliveries (webhook_id, delivery, event, body, created_at,"
                       " next_attempt_at, state) VALUES (?, ?, ?, ?, 0, 0, 'failed')",
                       (webhook, f"{webhook}-{payload}", payload, "{}"))
            delivery = db.execute("SELECT id FROM webhook_deliveries WHERE webhook_id = ?", (webhook,)).fetchone()
            db.execute("INSERT INTO webhook_attempts (webhook_id, delivery_id, event, attempt, at, status, error,"
                       " duration) VALUES (?, ?, ?, 1, 0, 500, ?, 0.1)", (webhook, delivery["id"], payload, payload))
    return ["/-/admin/webhooks"]


def _fill_import_previews(app: Flask) -> list[str]:
    """File names and page names on the preview of a staged import (``/-/import/<digest>``), which
    only its uploader sees: staged and converted for the admin."""
    from urllib.parse import quote

    from wiki.office.convert import DEFAULT_LIMITS
    from wiki.office.staging import Staging

    from .routes import minimal_docx

    staging = Staging(Path(app.instance_path) / "imports", per_user=100, bytes_per_user=10 ** 9, max_age=3600)
    files = [p for p in payloads() if "/" not in p and not any(ord(c) < 32 or c == "\x7f" for c in p)][:8]
    urls = []
    for index, (page, filename) in enumerate(zip(valid_names()[:8], files, strict=False)):
        staged = staging.stage(minimal_docx(f"Preview {index}"), filename + ".docx", "admin")
        staging.conversion(staged.digest, DEFAULT_LIMITS)(lambda fraction, stage: None)
        urls.append(f"/-/import/{staged.digest}?page={quote(page)}&summary={quote(filename)}")
    return urls


_HELD_LOCKS: list[object] = []  # export jobs shown as running in another worker (their locks, held)


def _fill_exports(app: Flask) -> list[str]:
    """Page names on the progress page of a background export (its title and file name).

    Each export runs once for real; then it is made to look as if another worker were running it
    again (its state file says "running" and this process holds its lock), so every visit of the
    URL gets the progress page rather than the file.
    """
    import fcntl
    import json
    import time
    from urllib.parse import quote

    store = app.extensions["wiki_store"]
    runner = app.extensions["wiki_jobs"]
    app.config["EXPORT_BACKGROUND_PAGES"] = 0
    client = app.test_client()
    urls = []
    for index, page in enumerate(valid_names()[:10]):
        section = page  # its title is the payload
        try:
            if not store.page_exists(section):
                store.save_page(section, "Exported.\n", base=store.head(), author=_author(index), summary="export")
        except PageExists:  # two payloads that differ only by case
            continue
        url = f"/-/document/export?format=docx&section={quote(section)}"
        started = client.get(url)
        key = re.search(r'data-status-url="/-/exports/([0-9a-f]{40})"', started.get_data(as_text=True)).group(1)
        for _ in range(600):
            if runner.get(key) is not None and runner.get(key).finished:
                break
            time.sleep(0.05)
        lock = open(runner.directory / f"{key}.lock", "a+b")  # noqa: SIM115 (held until the tests end)
        fcntl.flock(lock, fcntl.LOCK_EX)
        _HELD_LOCKS.append(lock)
        state = json.loads((runner.directory / f"{key}.json").read_text())
        (runner.directory / f"{key}.json").write_text(json.dumps({**state, "state": "running", "progress": 0.5}))
        (runner.directory / f"{key}.out").unlink(missing_ok=True)
        urls.append(url)
    return urls


def _fill_calls(app: Flask) -> list[str]:
    """Calls for input: a call whose title, description, questions and options are payloads, and
    responses whose names, organizations and answers are payloads, cited and in aggregate, from
    accounts and invited guests; shown on the call, its responses, its edit and translation forms,
    and search."""
    import time

    from wiki.store.call_model import Call, Question, Response

    store = app.extensions["wiki_store"]
    corpus = [p for p in payloads() if "\x00" not in p and p.strip()][:40]
    options = tuple(dict.fromkeys(" ".join(p.split())[:200] for p in corpus[:20]))
    slug = store.calls.create(Call(
        slug="xss", title=" ".join(corpus[0].split())[:200], description="\n\n".join(corpus[:10]),
        questions=(Question(id="q1", kind="text", text=corpus[1]), Question(id="q2", kind="choices", text=corpus[2],
                                                                             options=options)),
        deadline=int(time.time()) + 86400, audience="invited", state="open", created=int(time.time()),
        created_by="xss", language="en", titles=(("fr", corpus[3]),)), author=_author()).slug
    for index, payload in enumerate(corpus):
        respondent = f"xss{index}"
        store.calls.save_response(slug, respondent, lambda call, previous, payload=payload, respondent=respondent,
                                  index=index: Response(
            call=slug, respondent=respondent, name=payload, organization=payload, group="governments",
            consent=("cite", "aggregate")[index % 2], language="en",
            answers={"q1": payload, "q2": options[index % len(options):index % len(options) + 2]},
            submitted=int(time.time()), updated=int(time.time()), late=index % 5 == 0), author=_author(index))
    for index, payload in enumerate(corpus[:10]):  # invited guests name themselves
        guest = f"guest-{index:012x}"
        store.calls.save_response(slug, guest, lambda call, previous, payload=payload, guest=guest, index=index:
                                  Response(call=slug, respondent=guest, name=" ".join(payload.split())[:80] or "x",
                                           organization=payload, group="civil-society",
                                           consent=("cite", "aggregate")[index % 2], language="fr",
                                           answers={"q1": payload}, submitted=int(time.time()),
                                           updated=int(time.time())), author=_author(index))
    changes = [f"/-/calls/{slug}/responses/{respondent}/history?commit={store.calls.history(slug, respondent)[0].id}"
               for respondent in ("xss1", "xss2")]  # what a commit changed: the answers' diffs and options
    return [*changes, "/-/calls", f"/-/calls/{slug}", f"/-/calls/{slug}?lang=fr", f"/-/calls/{slug}/responses",
            f"/-/calls/{slug}/responses?by=question&question=q1", f"/-/calls/{slug}/responses?by=question&question=q2",
            f"/-/calls/{slug}/responses?by=respondent", f"/-/calls/{slug}/responses?by=respondent&p=2",
            f"/-/calls/{slug}/responses?by=respondent&q=script", f"/-/calls/{slug}/responses/xss1/history",
            f"/-/calls/{slug}/responses/guest-000000000000/history", f"/-/calls/{slug}/edit",
            f"/-/calls/{slug}/translate?lang=fr", f"/-/calls/{slug}/translate?lang=ar", "/-/search?q=alert"]


SINKS = [
    Sink("page text, diffs, blame, old versions, compare", _fill_page_text),
    Sink("page names", _fill_page_names),
    Sink("edit summaries", _fill_summaries),
    Sink("display names and group names", _fill_people),
    Sink("search queries, snippets, backlinks, wanted pages", _fill_search),
    Sink("attachment names and their summaries", _fill_attachments),
    Sink("proposal titles, rationales, comments, objections, closing reasons", _fill_proposals),
    Sink("access token names", _fill_tokens),
    Sink("text of imported documents", _fill_imports),
    Sink("comment threads: texts, replies, quoted passages, groups, reasons for hiding", _fill_comments),
    Sink("export progress pages (section titles and file names)", _fill_exports),
    Sink("import previews of staged uploads (file names, page names, summaries)", _fill_import_previews),
    Sink("webhook addresses and delivery logs", _fill_webhooks),
    Sink("calls for input: titles, descriptions, questions, options, respondents' names and answers", _fill_calls),
]


def group_config() -> dict[str, str]:
    """GROUPS for an XSS wiki: the usual groups and one per payload name."""
    from wiki.users import DEFAULT_GROUPS

    groups = dict(DEFAULT_GROUPS)
    for index, payload in enumerate(p for p in payloads() if "\x00" not in p):
        groups[f"xss-{index}"] = payload
    return groups


def fill_wiki(app: Flask) -> dict[str, list[str]]:
    """Put the payloads everywhere; the URLs to check, by sink."""
    return {sink.name: sink.fill(app) for sink in SINKS}


def make_xss_app(instance: Path) -> Flask:
    """The test app with the corpus's groups (group names are a sink too)."""
    return make_app(instance, GROUPS=group_config())
