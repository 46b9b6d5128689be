"""Finding passages again (wiki/anchoring.py) in the plain text of rendered pages (wiki/passages.py)."""

from __future__ import annotations

from html.parser import HTMLParser

from wiki.anchoring import OffsetMap, locate
from wiki.passages import mark_block, passages_of


def find(quote: str, old: str, new: str, prefix: str = "", suffix: str = ""):  # noqa: ANN201
    position = old.index(quote)
    prefix = prefix or old[max(0, position - 32):position]
    suffix = suffix or old[position + len(quote):position + len(quote) + 32]
    return locate(quote, prefix, suffix, position, new, lambda: OffsetMap(old, new) if old != new else None)


def test_plain_text_is_the_rendered_text_paragraph_by_paragraph() -> None:
    passages = passages_of('<h1 id="t">Title &amp; more</h1>\n<p>One  <strong>bold</strong>\nline.</p>\n'
                           "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<hr>\n")
    assert passages.text == "Title & more One bold line. a b"
    assert [passages.text[b.start:b.end] for b in passages.blocks] == ["Title & more", "One bold line.", "a b", ""]
    assert passages.block_at(passages.text.index("bold")) == 1


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in ("br", "hr", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes the wrong element"


def test_marks_split_at_element_boundaries_and_keep_the_html_well_formed() -> None:
    passages = passages_of("<p>The <em>free flow</em> of <a href=\"/x\">information &lt;is&gt;</a> vital.</p>")
    start = passages.text.index("flow")
    end = passages.text.index("vital") + len("vital")
    html = mark_block(passages.blocks[0], [(start, end, "comment-mark")])
    checker = _Balance()
    checker.feed(html)
    assert checker.stack == []
    marked = "".join(part.split(">", 1)[1] for part in html.split("<mark")[1:])
    assert "flow" in marked and "&lt;is&gt;" in html and html.count("<mark") == 4


def test_an_exact_quote_is_found_wherever_the_edit_moved_it() -> None:
    old = "Alpha beta. The passage we discuss. Omega."
    new = "A new start. Omega. The passage we discuss."
    found = find("passage we discuss", old, new)
    assert found and new[found.start:found.end] == "passage we discuss" and found.how == "exact"


def test_repeated_quotes_are_told_apart_by_context_and_history() -> None:
    old = "privacy first. Rules on privacy online. Trust and privacy again."
    new = "Inserted privacy words. privacy first. Rules on privacy online. Trust and privacy again."
    found = find("privacy", old, new, prefix="Rules on ", suffix=" online")
    assert found and new[found.start - 9:found.end + 7] == "Rules on privacy online"


def test_a_reworded_passage_is_followed_by_a_fuzzy_match() -> None:
    old = "Intro. Governments should protect privacy online in all cases. Outro."
    new = "Intro. Governments must protect privacy online in all cases. Outro."
    found = find("Governments should protect privacy online", old, new)
    assert found and found.how == "fuzzy"
    assert new[found.start:found.end].startswith("Governments must protect privacy online")


def test_a_removed_passage_is_not_found() -> None:
    old = "Intro. The contested sentence about taxation. Outro."
    new = "Intro. Something else entirely now. Outro."
    assert find("The contested sentence about taxation", old, new) is None


def test_the_offset_map_follows_insertions_and_deletions() -> None:
    old = "one two three four five"
    new = "zero one two four five six"
    offsets = OffsetMap(old, new)
    assert offsets.map(old.index("two")) == new.index("two")
    assert offsets.map(old.index("five")) == new.index("five")
    assert offsets.map(old.index("three")) is None


def test_paragraphs_moved_in_a_long_page_map_through_paragraph_then_word_matching() -> None:
    """A page near the size limit (3,000 paragraphs): 100 move to the end, one is reworded. The map
    is built paragraph by paragraph, word by word only inside the changed one (so it stays cheap);
    moved paragraphs are not mapped (their quotes find them)."""
    paragraphs = [f"Paragraph {n} says point {n} matters for group {n % 5}." for n in range(3000)]
    moved = paragraphs[100:] + paragraphs[:100]
    moved[400] = moved[400].replace("matters", "counts")  # paragraph 500

    def text_and_spans(parts: list[str]) -> tuple[str, list[tuple[int, int]]]:
        spans, offset = [], 0
        for part in parts:
            spans.append((offset, offset + len(part)))
            offset += len(part) + 1
        return " ".join(parts), spans

    old, old_spans = text_and_spans(paragraphs)
    new, new_spans = text_and_spans(moved)
    offsets = OffsetMap(old, new, old_spans, new_spans)
    for n in (1600, 2999):
        assert new[offsets.map(old.index(f"Paragraph {n} ")) or 0:].startswith(f"Paragraph {n} ")
    reworded = offsets.map(old.index("Paragraph 500 says"))
    assert reworded is not None and new[reworded:].startswith("Paragraph 500 says point 500 counts")
    assert offsets.map(old.index("Paragraph 50 says")) is None
    found = locate("Paragraph 50 says", "", "", old.index("Paragraph 50 says"), new, lambda: offsets)
    assert found and new[found.start:].startswith("Paragraph 50 says point 50")
