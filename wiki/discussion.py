"""Comment threads placed on the text as it reads now: which paragraph each open thread is about,
which passages to highlight, which paragraphs are contested and which threads are outdated.

Everything is keyed by object ids: a page's plain text by its blob id, a thread's place by the
current blob and the thread's anchor, the map between two texts by their two blob ids. A page
view after an edit re-finds only what the edit moved; every later view is lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .anchoring import Located, OffsetMap, locate, occurrences
from .errors import N_, WikiError
from .passages import Passages, mark_block, normalize, passages_of, split_blocks
from .render import Renderer
from .store import LRUCache, Store
from .store.comment_model import CONTEXT_CHARS, MAX_QUOTE_CHARS, Anchor, Entry, Thread


class PassageNotFound(WikiError):
    """The quoted passage cannot be found (or not told apart) in the revision the user read."""

    code = 400


@dataclass(frozen=True)
class Placed:
    """A thread and where its passage is now (``located`` is None when it is outdated)."""

    thread: Thread
    located: Located | None
    passage: str  # the passage as it reads now, or as quoted when outdated
    paragraph: int  # 1-based number of the paragraph it starts in; 0 when outdated

    @property
    def outdated(self) -> bool:
        return self.located is None


@dataclass(frozen=True)
class Paragraph:
    number: int
    html: str
    threads: tuple[Placed, ...]  # the open threads whose passage starts here
    contested_by: tuple[str, ...]  # groups with an open objection here


@dataclass(frozen=True)
class Discussion:
    paragraphs: tuple[Paragraph, ...]
    placed: tuple[Placed, ...]

    @property
    def open_threads(self) -> tuple[Placed, ...]:
        return tuple(placed for placed in self.placed if placed.thread.state == "open")

    @property
    def outdated(self) -> tuple[Placed, ...]:
        return tuple(placed for placed in self.placed if placed.outdated)


class Discussions:
    """Places threads on pages; one per app, thread-safe (its caches are)."""

    def __init__(self, store: Store, renderer: Renderer) -> None:
        self.store = store
        self.renderer = renderer
        self._passages: LRUCache[str, Passages] = LRUCache(2048)
        self._offsets: LRUCache[tuple[str, str], OffsetMap | None] = LRUCache(512)
        self._places: LRUCache[tuple[str, Anchor], Located | None] = LRUCache(100_000)
        self._comment_html: LRUCache[str, str] = LRUCache(20_000)
        self._discussions: LRUCache[tuple[object, ...], Discussion] = LRUCache(256)

    def passages(self, blob: str) -> Passages:
        """The rendered page text of ``blob`` (a page's blob id) as paragraphs and plain text."""
        def load() -> Passages:
            text = self.store.reader.blob(blob).decode("utf-8", "replace")
            return passages_of(self.renderer.render(text, cache_key=blob).html)

        return self._passages.get_or_compute(blob, load)

    def comment_html(self, entry: Entry) -> str:
        """A comment's Markdown as sanitized HTML, cached by its event file's blob id."""
        return self._comment_html.get_or_compute(entry.blob or entry.name,
                                                 lambda: self.renderer.render(entry.text).html)

    # ------------------------------------------------------------------ placing threads

    def place(self, thread: Thread, blob: str | None) -> Placed:
        """Where ``thread``'s passage is in the page text ``blob`` (None: the page is gone)."""
        anchor = thread.anchor
        located = None
        if blob is not None and anchor.blob:
            located = self._places.get_or_compute((blob, anchor), lambda: self._locate(anchor, blob))
        if located is None:
            return Placed(thread, None, anchor.quote, 0)
        passages = self.passages(blob)  # type: ignore[arg-type]
        return Placed(thread, located, passages.text[located.start:located.end],
                      passages.block_at(located.start) + 1)

    def _locate(self, anchor: Anchor, blob: str) -> Located | None:
        try:
            new = self.passages(blob).text
        except (KeyError, ValueError):
            return None

        def offsets() -> OffsetMap | None:
            if anchor.blob == blob:
                return None
            def compare() -> OffsetMap:
                before, after = self.passages(anchor.blob), self.passages(blob)
                return OffsetMap(before.text, after.text, [(b.start, b.end) for b in before.blocks],
                                 [(b.start, b.end) for b in after.blocks])

            return self._offsets.get_or_compute((anchor.blob, blob), compare)

        try:
            return locate(anchor.quote, anchor.prefix, anchor.suffix, anchor.position, new, offsets)
        except WikiError:
            return None

    def discussion(self, threads: list[Thread], blob: str | None, html: str | None = None) -> Discussion:
        """The threads placed on page text ``blob``, and its paragraphs with open passages marked.

        ``html`` is the page as shown (links to missing pages styled): the same text, so the same
        paragraphs, which are then taken from it. Cached by the blob, the HTML and each thread's
        last event, so a view that nothing changed costs lookups."""
        key = (blob, html, tuple((thread.number, thread.state, len(thread.entries), thread.entries[-1].name)
                                 for thread in threads))
        return self._discussions.get_or_compute(key, lambda: self._discussion(threads, blob, html))

    def _discussion(self, threads: list[Thread], blob: str | None, html: str | None) -> Discussion:
        placed = tuple(self.place(thread, blob) for thread in threads)
        if blob is None:
            return Discussion((), placed)
        passages = self.passages(blob)
        marks: dict[int, list[tuple[int, int, str]]] = {}
        by_paragraph: dict[int, list[Placed]] = {}
        for item in placed:
            if item.located is None or item.thread.state != "open":
                continue
            css = "comment-mark comment-objection" if item.thread.kind == "objection" else "comment-mark"
            for index in passages.blocks_between(item.located.start, item.located.end):
                marks.setdefault(index, []).append((item.located.start, item.located.end, css))
            by_paragraph.setdefault(item.paragraph, []).append(item)
        blocks = passages.blocks
        if html is not None:
            shown = split_blocks(html)
            if len(shown) == len(blocks):
                blocks = tuple(replace(block, html=part) for block, part in zip(blocks, shown, strict=True))
        paragraphs = []
        for index, block in enumerate(blocks):
            mine = tuple(by_paragraph.get(index + 1, ()))
            contested = tuple(sorted({item.thread.group for item in mine if item.thread.kind == "objection"}))
            html = mark_block(block, marks[index]) if index in marks else block.html
            paragraphs.append(Paragraph(index + 1, html, mine, contested))
        return Discussion(tuple(paragraphs), placed)

    # ------------------------------------------------------------------ quoting

    def anchor(self, blob: str, rev: str, *, quote: str = "", occurrence: int | None = None,
               position: int | None = None, paragraph: int | None = None) -> Anchor:
        """The anchor of a new thread on the text of ``blob`` (read at commit ``rev``): the quote
        found in it (``occurrence`` k picks the k-th of several; ``position``, a hint from the
        browser, the nearest), or the whole paragraph number ``paragraph``."""
        passages = self.passages(blob)
        if paragraph is not None:
            if not 1 <= paragraph <= len(passages.blocks):
                raise PassageNotFound(N_("There is no paragraph %(number)s on this page; it has %(count)s."),
                                      number=paragraph, count=len(passages.blocks))
            block = passages.blocks[paragraph - 1]
            if block.end == block.start:
                raise PassageNotFound(N_("Paragraph %(number)s has no text to comment on."), number=paragraph)
            start, end = block.start, block.end
        else:
            wanted = normalize(quote)
            if not wanted:
                raise PassageNotFound(N_("Quote the passage you comment on."))
            if len(wanted) > MAX_QUOTE_CHARS:
                raise PassageNotFound(N_("A quoted passage must have between 1 and %(limit)s characters."),
                                      limit=f"{MAX_QUOTE_CHARS:,}")
            found = occurrences(passages.text, wanted)
            if not found:
                raise PassageNotFound(N_("The passage you quoted is not in that revision of the page."))
            if occurrence is not None:
                if not 1 <= occurrence <= len(found):
                    raise PassageNotFound(N_("The passage appears %(count)s times; occurrence must be between 1 "
                                             "and %(count)s."), count=len(found))
                start = found[occurrence - 1]
            elif len(found) == 1:
                start = found[0]
            elif position is not None:
                start = min(found, key=lambda offset: abs(offset - position))
            else:
                raise PassageNotFound(N_("The passage appears %(count)s times on the page; say which one with "
                                         "occurrence (1 to %(count)s), or quote more of it."), count=len(found))
            end = start + len(wanted)
        text = passages.text
        return Anchor(rev=rev, blob=blob, quote=text[start:end], prefix=text[max(0, start - CONTEXT_CHARS):start],
                      suffix=text[end:end + CONTEXT_CHARS], position=start)
