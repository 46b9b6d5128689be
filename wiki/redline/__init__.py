"""Redlines: what changed between two revisions of pages, as Word tracked changes or a coloured PDF.

Each inserted or deleted run of words is attributed to the commit that made it (see
:mod:`.attribution`, over the page's lineage), shown as "<stakeholder group> (<user>)" and dated by
the commit. The two versions are parsed by pandoc (one call for all the pages of a redline) and
compared block by block and word by word (:mod:`.markup`); :mod:`.output` writes the .docx (with
paragraph-level marks added with lxml) or the PDF (WeasyPrint, colours by group, a legend and
change bars). No Flask, no Git: the caller reads the store and passes plain values in.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from ..errors import N_
from ..office import convert
from ..store.types import CommitInfo
from . import attribution, markup

# The wiki's Markdown as pandoc should read it: wiki links, and nothing the wiki itself does not
# render (no raw HTML, spans, divs or attributes, so a page cannot forge a tracked change).
READER = ("markdown+wikilinks_title_after_pipe-raw_html-raw_attribute-native_divs-native_spans-bracketed_spans"
          "-fenced_divs-link_attributes-inline_notes-implicit_figures-definition_lists-line_blocks-example_lists"
          "-yaml_metadata_block-pandoc_title_block-citations-tex_math_dollars-raw_tex-smart-subscript-superscript"
          "-strikeout-task_lists-simple_tables-multiline_tables-grid_tables-header_attributes")
SPLIT = "LWREDLINESPLIT7F3A9C"
_TOC = re.compile(r"^[ \t]*\[TOC\][ \t]*$", re.MULTILINE)
_FOOTNOTE = re.compile(r"\[\^([^\]\[\n]*)\]")
UNATTRIBUTED = N_("Unattributed")  # the callers pass it translated (``unattributed``)
_ATTACHMENT = re.compile(r"\A/(?P<page>.+)/-/attachments/(?P<name>[^/?#]+)\Z")
EMBEDDED = frozenset({"image/png", "image/jpeg", "image/gif"})
# An attachment's (MIME type, bytes), or None: (page, file name) -> ...
ImageLoader = Callable[[str, str], "tuple[str, bytes] | None"]


@dataclass(frozen=True)
class PageChange:
    """One page of a redline: its title, its text at X and at Y (``None`` where it did not exist),
    and the lineage between them as ``(commit, parents, text after it)``, parents first."""

    title: str
    old_text: str | None
    new_text: str | None
    steps: Sequence[tuple[CommitInfo, tuple[str, ...], str | None]]


@dataclass
class Legend:
    """Who made the changes: group slug -> (display name, colour index, user names)."""

    entries: dict[str, tuple[str, int, set[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Redline:
    """The redline as a pandoc document (JSON) and its legend."""

    docx_blocks: list[Any]
    pdf_blocks: list[Any]
    legend: Legend
    insertions: int
    deletions: int


def author_label(commit: CommitInfo | None, groups: dict[str, str], unattributed: str = UNATTRIBUTED) -> str:
    """"Civil society (ana)": the stakeholder group's name and the wiki user."""
    if commit is None:
        return unattributed
    group = groups.get(commit.group, commit.group) or unattributed
    who = commit.username or commit.author_name
    return f"{group} ({who})" if who else group


def commit_date(commit: CommitInfo | None) -> str:
    stamp = commit.timestamp if commit is not None else 0
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prepare(text: str, number: int) -> str:
    """Page text for one batch: no ``[TOC]``, footnote labels made unique per page."""
    text = _TOC.sub("", text)
    return _FOOTNOTE.sub(lambda match: f"[^p{number}-{match.group(1)}]", text)


def parse(texts: list[str], *, limits: convert.Limits = convert.DEFAULT_LIMITS) -> list[list[Any]]:
    """Each Markdown text as pandoc blocks, in one pandoc run (split at marker paragraphs); a text
    that swallows a marker (an unclosed code fence) makes the texts be read one by one instead."""
    if not texts:
        return []
    joined = "".join(f"{_prepare(text, number)}\n\n{SPLIT}{number}\n\n" for number, text in enumerate(texts))
    blocks = json.loads(convert.pandoc(joined, from_format=READER, to_format="json", limits=limits))["blocks"]
    parts: list[list[Any]] = [[]]
    for block in blocks:
        if block["t"] == "Para" and len(block["c"]) == 1 and block["c"][0].get("c") == f"{SPLIT}{len(parts) - 1}":
            parts.append([])
        else:
            parts[-1].append(block)
    if len(parts) == len(texts) + 1 and not parts[-1]:
        return parts[:-1]
    return [json.loads(convert.pandoc(_prepare(text, number), from_format=READER, to_format="json",
                                      limits=limits))["blocks"] for number, text in enumerate(texts)]


def _assign(doc: markup.Doc, source: list[str], by: list[str | None]) -> list[str | None]:
    """Each pandoc token's commit: its word matched to the Markdown's words, others take their
    neighbour's."""
    words = [(index, token.word) for index, token in enumerate(doc.tokens) if token.word]
    source_words = [(index, text) for index, text in enumerate(source) if attribution.WORD.match(text)]
    result: list[str | None] = [None] * len(doc.tokens)
    known = [False] * len(doc.tokens)
    for a, b in _align([word for _, word in words], [word for _, word in source_words]):
        index = words[a][0]
        result[index], known[index] = by[source_words[b][0]], True
    last: tuple[bool, str | None] = (False, None)
    for index in range(len(result)):  # punctuation, spaces and atoms: the word before them
        if known[index]:
            last = (True, result[index])
        elif last[0]:
            result[index], known[index] = last[1], True
    following: str | None = None
    for index in range(len(result) - 1, -1, -1):
        if known[index]:
            following = result[index]
        else:
            result[index] = following
    return result


def _align(shown: list[str], source: list[str], lookahead: int = 200) -> list[tuple[int, int]]:
    """Pairs of equal words, in order: the words pandoc shows are the Markdown's words less its
    markup (link targets, footnote labels), so each is found a little ahead in the source. Linear."""
    pairs = []
    j = 0
    for i, word in enumerate(shown):
        for k in range(j, min(len(source), j + lookahead)):
            # a far match must be confirmed by the next word too, so a stray word cannot skip the text
            if source[k] == word and (k - j < 8 or i + 1 == len(shown) or k + 1 == len(source)
                                      or shown[i + 1] == source[k + 1]):
                pairs.append((i, k))
                j = k + 1
                break
    return pairs


def build(pages: Sequence[PageChange], groups: dict[str, str], *, whole_document: bool,
          images: ImageLoader | None = None, limits: convert.Limits = convert.DEFAULT_LIMITS,
          unattributed: str = UNATTRIBUTED) -> Redline:
    """The redline of ``pages``; ``whole_document`` opens each page with a level-1 heading of its
    title (its own headings keep their levels: ``##`` is Heading 2, as in every export); ``images``
    gives the bytes of attachments that pages show, embedded as ``data:`` URLs (nothing is fetched
    while converting). ``groups`` (slug: name) and ``unattributed`` are the words the legend and
    the tracked changes' authors use, in the reader's language."""
    group_order = {slug: number for number, slug in enumerate(groups)}
    legend = Legend()
    counts = {"insertion": 0, "deletion": 0}
    parsed = parse([text for page in pages for text in (page.old_text or "", page.new_text or "")], limits=limits)
    docx_blocks: list[Any] = []
    pdf_blocks: list[Any] = []
    for number, page in enumerate(pages):
        old_blocks, new_blocks = parsed[2 * number], parsed[2 * number + 1]
        old_doc, new_doc = markup.tokenize(old_blocks), markup.tokenize(new_blocks)
        if whole_document:  # the page's title as a heading (its words are in no commit: the last one's)
            title = {"t": "Header", "c": [1, ["", [], []], [{"t": "Str", "c": page.title}]]}
            if page.old_text is not None:
                old_doc.blocks.insert(0, title)
            if page.new_text is not None:
                new_doc.blocks.insert(0, json.loads(json.dumps(title)))
        commits = {step[0].id: step[0] for step in page.steps}
        steps = [(commit.id, parents, text or "") for commit, parents, text in page.steps]
        tracked = attribution.attribute(page.old_text or "", steps, new_text=page.new_text or "")
        inserted = _assign(new_doc, tracked.new_tokens, tracked.inserted_by)
        deleted = _assign(old_doc, tracked.old_tokens, tracked.deleted_by)
        last = page.steps[-1][0] if page.steps else None

        def mark(status: str, token: markup.Token, inserted: list[str | None] = inserted,
                 deleted: list[str | None] = deleted, commits: dict[str, CommitInfo] = commits,
                 last: CommitInfo | None = last) -> tuple[str, str, tuple[str, ...]]:
            chosen = (inserted if status == "insertion" else deleted)[token.index] if token.index >= 0 else None
            commit = commits.get(chosen or "") or last
            counts[status] += 1
            slug = commit.group if commit is not None else ""
            name, colour, users = legend.entries.setdefault(
                slug, (groups.get(slug, slug) or unattributed, group_order.get(slug, len(groups)), set()))
            if commit is not None and commit.username:
                users.add(commit.username)
            return author_label(commit, groups, unattributed), commit_date(commit), (f"g{colour % 8}",)

        for_word, with_bars = markup.finish(markup.Redliner(mark).blocks(old_doc.blocks, new_doc.blocks))
        docx_blocks += for_word
        pdf_blocks += with_bars
    _defuse(docx_blocks, images)  # the PDF's blocks share these nodes
    return Redline(docx_blocks=docx_blocks, pdf_blocks=pdf_blocks, legend=legend,
                   insertions=counts["insertion"], deletions=counts["deletion"])


def _defuse(node: Any, images: ImageLoader | None) -> None:
    """Links to anything but http, https, mailto or relative URLs become their words (a PDF or Word
    file keeps no ``javascript:`` link, as the wiki's pages keep none); images of attachments are
    embedded, other images keep only their description."""
    if isinstance(node, dict):
        if node.get("t") == "Link" and not markup.safe_url(node["c"][2][0]):
            node["t"], node["c"] = "Span", [["", [], []], node["c"][1]]
        elif node.get("t") == "Image":
            embedded = _embedded(node["c"][2][0], images)
            if embedded is None:
                node["t"], node["c"] = "Span", [["", [], []], node["c"][1]]
            else:
                node["c"][2][0] = embedded
        for value in node.values():
            _defuse(value, images)
    elif isinstance(node, list):
        for value in node:
            _defuse(value, images)


def _embedded(url: str, images: ImageLoader | None) -> str | None:
    """A ``data:`` URL of the attachment ``/<page>/-/attachments/<name>`` (PNG, JPEG or GIF), else ``None``."""
    match = _ATTACHMENT.match(url)
    found = images(unquote(match.group("page")), unquote(match.group("name"))) if match and images else None
    if found is None or found[0] not in EMBEDDED:
        return None
    return f"data:{found[0]};base64,{base64.b64encode(found[1]).decode('ascii')}"
