"""Line diffs with changed words marked."""

from __future__ import annotations

from wiki.diffs import NOTICE_COARSE_LINES, NOTICE_COARSE_WORDS, NOTICE_TRUNCATED, Notice, diff_texts


def test_changed_words_are_marked() -> None:
    diff = diff_texts("The group meets twice a year.\nSame.\n", "The group meets three times a year.\nSame.\n")
    assert (diff.added, diff.removed) == (1, 1)
    removed, added = diff.hunks[0][0], diff.hunks[0][1]
    assert removed.kind == "removed" and added.kind == "added"
    assert [s.text for s in removed.segments if s.changed] == ["twice"]
    assert [s.text for s in added.segments if s.changed] == ["three times"]
    assert "".join(s.text for s in added.segments) == "The group meets three times a year."


def test_additions_deletions_and_context() -> None:
    old = "\n".join(f"line {n}" for n in range(20)) + "\n"
    new = old.replace("line 3\n", "").replace("line 15\n", "line 15\nnew line\n")
    diff = diff_texts(old, new)
    assert len(diff.hunks) == 2
    assert [line.kind for line in diff.hunks[0]].count("removed") == 1
    assert diff.hunks[1][3].kind == "added" and diff.hunks[1][3].new_number == 16


def test_split_rows_pair_replacements() -> None:
    diff = diff_texts("a\nb\nc\n", "a\nB\nc\nd\n")
    rows = diff.split_hunks()[0]
    assert [(r.left and r.left.kind, r.right and r.right.kind) for r in rows] == [
        ("context", "context"), ("removed", "added"), ("context", "context"), (None, "added")]


def test_identical_texts_have_no_hunks() -> None:
    assert diff_texts("same\n", "same\n").unchanged


def test_ordinary_diffs_are_not_coarse() -> None:
    diff = diff_texts("a\nb\nc\n", "a\nB\nc\nd\n")
    assert not diff.coarse and diff.notices == ()


def test_one_word_changed_in_a_very_long_line_is_marked_alone() -> None:
    words = ["word"] * 16_000
    changed = list(words)
    changed[8_000] = "term"
    diff = diff_texts(" ".join(words), " ".join(changed))
    removed, added = diff.hunks[0]
    assert [s.text for s in removed.segments if s.changed] == ["word"]
    assert [s.text for s in added.segments if s.changed] == ["term"]
    assert "".join(s.text for s in added.segments) == " ".join(changed)
    assert not diff.coarse


def test_a_line_too_different_to_compare_word_by_word_is_marked_as_a_whole_with_a_notice() -> None:
    old = " ".join(["a", "b"] * 20_000) + " end"
    new = " ".join(["b", "a"] * 20_000) + " end"
    diff = diff_texts(old, new)
    removed, added = diff.hunks[0]
    assert [(s.text, s.changed) for s in added.segments] == [(new[:-4], True), (" end", False)]
    assert diff.coarse_words and not diff.coarse_lines
    assert [notice.text for notice in diff.notices] == [NOTICE_COARSE_WORDS]


def test_lines_too_costly_to_align_are_shown_as_replaced_with_a_notice() -> None:
    old = "x\ny\n" * 50_000
    new = "y\nx\n" * 50_000
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (100_000, 100_000)
    assert diff.coarse_lines and diff.notices[0].text == NOTICE_COARSE_LINES


def test_long_diffs_show_their_first_lines_and_count_all() -> None:
    old = "".join(f"line {n}\n" for n in range(300))
    new = "".join(f"LINE {n}\n" for n in range(300))
    diff = diff_texts(old, new, max_lines=100)
    assert sum(len(hunk) for hunk in diff.hunks) == diff.shown == 100
    assert (diff.added, diff.removed) == (300, 300)
    assert diff.truncated and diff.notices[-1] == Notice(NOTICE_TRUNCATED, lines=100)
    full = diff_texts(old, new, max_lines=None)
    assert full.shown == 600 and not full.truncated


def test_the_truncation_keeps_replaced_lines_paired() -> None:
    diff = diff_texts("a\nb\nc\n", "A\nB\nC\n", max_lines=4)
    assert [line.kind for line in diff.hunks[0]] == ["removed", "removed", "added", "added"]
    assert [line.new_number for line in diff.hunks[0][2:]] == [1, 2]
