"""Accepting and rejecting tracked changes one by one (wiki.office.tracked, tracked_odt), on files
LibreOffice wrote, as pandoc then reads them: the texts a redline's proposal is built from. No Flask."""

from __future__ import annotations

import pytest

from wiki.office import docimport, tracked

from .office_docs import convert_all, paragraphs_document, redline_document


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    paths = convert_all({"paragraphs": paragraphs_document(), "redline": redline_document()},
                        tmp_path_factory.mktemp("tracked"))
    return {name: path.read_bytes() for name, path in paths.items()}


def text(data: bytes, left_out: frozenset[int] = frozenset()) -> str:
    return docimport.convert(data, left_out=left_out).markdown


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_changes_are_numbered_alike_when_listed_and_when_resolved(files: dict[str, bytes], kind: str) -> None:
    changes = tracked.read(files[f"redline.{kind}"], kind)
    assert [(change.number, change.author, change.text) for change in changes] == [
        (0, "Ana Delegate", "hastily"), (1, "Pat Second", "revised"), (2, "reviewer@example.org", "of May")]
    assert "The group hastily welcomed the revised report of May.\n" in text(files[f"redline.{kind}"], frozenset({0}))
    assert "The group welcomed the revised report.\n" in text(files[f"redline.{kind}"], frozenset({2}))
    assert "The group welcomed the report of May.\n" in text(files[f"redline.{kind}"], frozenset({1}))


def test_an_odt_insertion_over_paragraphs_is_cut_and_a_deletion_over_paragraphs_put_back(
        files: dict[str, bytes]) -> None:
    data = files["paragraphs.odt"]
    changes = tracked.read(data, "odt")
    assert [(change.author, change.kind) for change in changes] == [
        ("Pat", "insertion"), ("Ana", "deletion"), ("Pat", "insertion")]
    accepted = text(data)
    assert accepted == "First paragraph.\n\nA whole new paragraph.\n\nKeep the second paragraph.\n\n" \
                       "-   One item\n-   Another item\n"
    rejected = text(data, frozenset({0, 1, 2}))
    assert rejected == "First paragraph.\n\nKeep the old end.\n\nStart of the old second paragraph.\n\n-   One item\n"
    # Word's paragraph marks: the same text from the .docx LibreOffice wrote of the same document
    assert text(files["paragraphs.docx"], frozenset({0, 1, 2, 3})) == rejected  # no empty list item left
    only_pat = docimport.convert(data, left_out=frozenset({1}))
    assert [author for author, _ in only_pat.steps] == ["", "Pat"]  # Ana credited with nothing
    assert "A whole new paragraph." in only_pat.markdown and "Start of the old second" in only_pat.markdown


def test_a_file_with_every_change_left_out_is_the_text_before_them(files: dict[str, bytes]) -> None:
    for kind in ("docx", "odt"):
        converted = docimport.convert(files[f"redline.{kind}"], left_out=frozenset({0, 1, 2}))
        assert "The group hastily welcomed the report.\n" in converted.markdown
        assert converted.steps == () and converted.choice.credited == ()
        assert len(converted.choice.dropped) == 3
