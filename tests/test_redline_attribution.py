"""Which commit inserted or deleted each word (wiki.redline.attribution), without Flask or Git."""

from __future__ import annotations

from wiki.redline import _align
from wiki.redline.attribution import attribute, tokens


def who(result, word: str, *, old: bool = False) -> set[str | None]:  # noqa: ANN001
    items, by = (result.old_tokens, result.deleted_by) if old else (result.new_tokens, result.inserted_by)
    return {by[index] for index, token in enumerate(items) if token == word}


def test_tokens_join_back_into_the_text() -> None:
    text = "Délégations: l’accès — 互联网治理 and **bold**\n\n- item\n"
    assert "".join(tokens(text)) == text


def test_each_word_takes_the_commit_that_added_it_and_each_deleted_word_the_one_that_removed_it() -> None:
    x = "One two three.\n\nFour five.\n"
    steps = [("a", ("x",), "One 2 three.\n\nFour five.\n"),
             ("b", ("a",), "One 2 three four.\n\nFive.\n")]
    result = attribute(x, steps)
    assert "".join(result.new_tokens) == steps[-1][2]
    assert who(result, "2") == {"a"} and who(result, "four") == {"b"} and who(result, "Five") == {"b"}
    assert who(result, "One") == {None}  # X's
    assert who(result, "two", old=True) == {"a"} and who(result, "Four", old=True) == {"b"}
    assert who(result, "three", old=True) == {None}  # still there


def test_a_word_added_then_removed_is_in_neither_text() -> None:
    result = attribute("Alpha.\n", [("a", ("x",), "Alpha beta.\n"), ("b", ("a",), "Alpha.\n")])
    assert "beta" not in result.new_tokens and "beta" not in result.old_tokens


def test_a_merge_keeps_the_words_of_each_side_with_their_authors() -> None:
    x = "First paragraph.\n\nSecond paragraph.\n"
    main = "First paragraph, amended.\n\nSecond paragraph.\n"
    proposal = "First paragraph.\n\nSecond paragraph, proposed.\n"
    merged = "First paragraph, amended.\n\nSecond paragraph, proposed.\n"
    steps = [("m", ("x",), main), ("p", ("x",), proposal), ("merge", ("m", "p"), merged)]
    result = attribute(x, steps)
    assert who(result, "amended") == {"m"} and who(result, "proposed") == {"p"}


def test_words_are_aligned_past_markup_and_stray_words() -> None:
    shown = ["Read", "the", "report", "now"]
    source = ["Read", "the", "https", "example", "org", "report", "now"]
    assert _align(shown, source) == [(0, 0), (1, 1), (2, 5), (3, 6)]
    stray = ["Title", "Read", "the"] + ["x"] * 20
    assert _align(stray, ["Read", "the"] + ["y"] * 30 + ["Title", "z"] + ["x"] * 20)[:2] == [(1, 0), (2, 1)]
