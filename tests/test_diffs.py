"""Line diffs with changed words marked."""

from __future__ import annotations

from wiki.diffs import diff_texts


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
