"""Comment threads placed on the text as it reads now: which paragraph each open thread is about,
which passages to highlight, which paragraphs are contested and which threads are outdated.

Everything is keyed by object ids: a page's plain text by its blob id, a thread's place by the
current blob and the thread's anchor, the map between two texts by their two blob ids. A page
view after an edit re-finds only what the edit moved; every later view is lookups.

Places are kept in this process and in the instance's place index (:mod:`wiki.places`), shared by
every worker. Finding them costs a request's :class:`~wiki.budget.Budget`: the threads it cannot
pay for are shown "not placed yet" (never dropped, never called outdated) and placed by the
backlog's thread, so a page with hundreds of costly threads answers in time and, once placed,
stays fast for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from .anchoring import Located, OffsetMap, locate, occurrences
from .backlog import Backlog
from .budget import Budget, OverBudget
from .errors import N_, Count, WikiError
from .passages import Passages, mark_block, normalize, passages_of, split_blocks
from .places import PlaceIndex, anchor_key
from .render import Rendered, Renderer
from .store import LRUCache, Store
from .store.comment_model import CONTEXT_CHARS, MAX_QUOTE_CHARS, Anchor, Entry, Thread

RENDER_COST = 20  # budget units per byte of a page rendered to find an old text


class PassageNotFound(WikiError):
    """The quoted passage cannot be found (or not told apart) in the revision the user read."""

    code = 400


@dataclass(frozen=True)
class Placed:
    """A thread and where its passage is now (``located`` is None when it is outdated, or not
    placed yet: ``pending``)."""

    thread: Thread
    located: Located | None
    passage: str  # the passage as it reads now, or as quoted when outdated or pending
    paragraph: int  # 1-based number of the paragraph it starts in; 0 when outdated or pending
    pending: bool = False  # not placed within the request's budget: being placed in the background

    @property
    def outdated(self) -> bool:
        return self.located is None and not self.pending and not self.thread.hidden


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

    @property
    def pending(self) -> tuple[Placed, ...]:
        return tuple(placed for placed in self.placed if placed.pending)

    @property
    def hidden(self) -> tuple[Placed, ...]:
        """Threads hidden as spam (in the list only for moderators): on no paragraph, never placed."""
        return tuple(placed for placed in self.placed if placed.thread.hidden)


class Discussions:
    """Places threads on pages; one per app, thread-safe (its caches are)."""

    def __init__(self, store: Store, renderer: Renderer, places: PlaceIndex | None = None, *,
                 background: bool = True, context: Callable[[], AbstractContextManager[object]] | None = None,
                 busy: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.renderer = renderer
        self.places = places
        # ("place", page blob, anchor, previous blob), ("render", comment entry), ("text", page blob):
        # what requests had no budget for
        self.backlog: Backlog[tuple[object, ...]] = Backlog(self._later, start=background, context=context,
                                                            busy=busy)
        self._passages: LRUCache[str, Passages] = LRUCache(2048)
        self._offsets: LRUCache[tuple[str, str], OffsetMap | None] = LRUCache(512)
        self._places: LRUCache[tuple[str, str], tuple[Located | None]] = LRUCache(100_000)
        self._comment_html: LRUCache[str, Rendered] = LRUCache(20_000)
        self._discussions: LRUCache[tuple[object, ...], Discussion] = LRUCache(256)

    def passages(self, blob: str, budget: Budget | None = None) -> Passages:
        """The rendered page text of ``blob`` (a page's blob id) as paragraphs and plain text."""
        def load() -> Passages:
            data = self.store.reader.blob(blob)
            if budget is not None:
                budget.charge(len(data) * RENDER_COST)
            return passages_of(self.renderer.render(data.decode("utf-8", "replace"), cache_key=blob).stable_html)

        return self._passages.get_or_compute(blob, load)

    def comment_html(self, entry: Entry, budget: Budget | None = None) -> str | None:
        """A comment's Markdown as sanitized HTML, cached by its event file's blob id; ``None``
        when ``budget`` cannot pay for rendering it now (it is rendered in the background)."""
        key = entry.blob or entry.name
        rendered = self._comment_html.lookup(key)
        if rendered is None:
            if budget is not None:
                try:
                    budget.charge(len(entry.text) * RENDER_COST)
                except OverBudget:
                    self.backlog.add([("render", entry)])
                    return None
            rendered = self.renderer.render(entry.text)
            self._comment_html.put(key, rendered)
        return rendered.html  # a fallback's notice in this reader's language

    # ------------------------------------------------------------------ placing threads

    def place_all(self, threads: list[Thread], blob: str | None, budget: Budget | None = None,
                  previous: Callable[[], str | None] | None = None) -> list[Placed]:
        """The threads' passages in the page text ``blob``: from this process's cache, then the
        place index, then found while ``budget`` lasts; the rest are pending (and queued).

        ``previous`` gives the page's text before its last change (asked only when something must
        be found): a thread placed there is followed through that one change, one comparison
        shared by all threads, rather than from the revision it quoted, one comparison each."""
        if blob is None:
            return [Placed(thread, None, thread.anchor.quote, 0) for thread in threads]
        if budget is not None and blob not in self._passages:
            try:
                budget.charge()  # rendering the text to show passages in: only while there is time
            except OverBudget:
                self.backlog.add([("text", blob)])
                return [Placed(thread, None, thread.anchor.quote, 0, pending=not thread.hidden) for thread in threads]
        keys = {thread.number: anchor_key(thread.anchor)
                for thread in threads if thread.anchor.blob and not thread.hidden}
        known: dict[str, tuple[Located | None]] = {}
        for key in keys.values():
            if key not in known and (hit := self._places.lookup((blob, key))) is not None:
                known[key] = hit
        missing = [key for key in dict.fromkeys(keys.values()) if key not in known]
        if missing and self.places is not None:
            for key, located in self.places.get_many(blob, missing).items():
                known[key] = (located,)
                self._places.put((blob, key), (located,))
        before = previous() if missing and previous is not None else None
        prior = self._known_places(before, missing) if before and before != blob else {}
        pending: list[tuple[object, ...]] = []
        placed = []
        for thread in threads:
            key = keys.get(thread.number)
            if thread.hidden:  # spam costs nothing to show
                placed.append(Placed(thread, None, thread.anchor.quote, 0))
                continue
            if key is not None and key not in known:
                try:
                    known[key] = (self._locate(thread.anchor, blob, budget, prior.get(key)),)
                except OverBudget:
                    pending.append(("place", blob, thread.anchor, before if key in prior else None))
                    placed.append(Placed(thread, None, thread.anchor.quote, 0, pending=True))
                    continue
                self._remember(blob, key, known[key][0])
            placed.append(self._placed(thread, blob, known[key][0] if key is not None else None))
        if pending:
            self.backlog.add(pending)
        return placed

    def _known_places(self, blob: str, keys: list[str]) -> dict[str, tuple[str, Located]]:
        """The places of ``keys`` already found in ``blob`` (those not found there are left out)."""
        found: dict[str, tuple[str, Located]] = {}
        for key in keys:
            hit = self._places.lookup((blob, key))
            if hit is not None and hit[0] is not None:
                found[key] = (blob, hit[0])
        rest = [key for key in keys if key not in found and (blob, key) not in self._places]
        if rest and self.places is not None:
            found.update({key: (blob, located) for key, located in self.places.get_many(blob, rest).items()
                          if located is not None})
        return found

    def _placed(self, thread: Thread, blob: str, located: Located | None) -> Placed:
        if located is None:
            return Placed(thread, None, thread.anchor.quote, 0)
        passages = self.passages(blob)
        return Placed(thread, located, passages.text[located.start:located.end],
                      passages.block_at(located.start) + 1)

    def _remember(self, blob: str, key: str, located: Located | None) -> None:
        self._places.put((blob, key), (located,))
        if self.places is not None:
            self.places.put((blob, key), located)

    def _later(self, item: tuple[object, ...]) -> None:
        """The backlog's work: render a comment, or place an anchor (unless another worker has it or did it)."""
        if item[0] == "render" and isinstance(item[1], Entry):
            self.comment_html(item[1])
        elif item[0] == "text" and isinstance(item[1], str):
            self.passages(item[1])
        elif item[0] == "place" and isinstance(item[1], str) and isinstance(item[2], Anchor):
            self._place_later(item[1], item[2], item[3] if isinstance(item[3], str) else None)

    def _place_later(self, blob: str, anchor: Anchor, before: str | None) -> None:
        key = anchor_key(anchor)
        if (blob, key) in self._places or (self.places is not None and not self.places.claim((blob, key))):
            return
        prior = self._known_places(before, [key]).get(key) if before else None
        self._remember(blob, key, self._locate(anchor, blob, None, prior))

    def _locate(self, anchor: Anchor, blob: str, budget: Budget | None,
                prior: tuple[str, Located] | None = None) -> Located | None:
        """Where ``anchor``'s passage is in ``blob``: followed from ``prior`` (its place in the
        page's previous text) when the quote is not simply there once, else from the revision quoted."""
        try:
            new = self.passages(blob).text
        except (KeyError, ValueError):
            return None
        try:
            if prior is not None and len(occurrences(new, anchor.quote)) != 1:
                before, place = prior
                text = self.passages(before).text
                followed = locate(text[place.start:place.end], text[max(0, place.start - CONTEXT_CHARS):place.start],
                                  text[place.end:place.end + CONTEXT_CHARS], place.start, new,
                                  lambda: self._offsets_between(before, blob, budget), budget)
                if followed is not None:
                    return followed
            return locate(anchor.quote, anchor.prefix, anchor.suffix, anchor.position, new,
                          lambda: self._offsets_between(anchor.blob, blob, budget), budget)
        except WikiError:
            return None

    def _offsets_between(self, old: str, new: str, budget: Budget | None) -> OffsetMap | None:
        """The map from page text ``old`` to ``new`` (None when they are the same), kept per pair."""
        if old == new:
            return None

        def compare() -> OffsetMap:
            before, after = self.passages(old, budget), self.passages(new)
            return OffsetMap(before.text, after.text, [(b.start, b.end) for b in before.blocks],
                             [(b.start, b.end) for b in after.blocks], budget)

        return self._offsets.get_or_compute((old, new), compare)

    def discussion(self, threads: list[Thread], blob: str | None, html: str | None = None,
                   budget: Budget | None = None, previous: Callable[[], str | None] | None = None) -> Discussion:
        """The threads placed on page text ``blob``, and its paragraphs with open passages marked.

        ``html`` is the page as shown (links to missing pages styled): the same text, so the same
        paragraphs, which are then taken from it. Cached by the blob, the HTML and each thread's
        last event, so a view that nothing changed costs lookups; not while threads are pending."""
        key = (blob, html, tuple((thread.number, thread.state, len(thread.entries), thread.entries[-1].name)
                                 for thread in threads))
        found = self._discussions.lookup(key)
        if found is None:
            found = self._discussion(threads, blob, html, budget, previous)
            if not found.pending:
                self._discussions.put(key, found)
        return found

    def _discussion(self, threads: list[Thread], blob: str | None, html: str | None,
                    budget: Budget | None, previous: Callable[[], str | None] | None) -> Discussion:
        placed = tuple(self.place_all(threads, blob, budget, previous))
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
                                      limit=Count(MAX_QUOTE_CHARS))
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
