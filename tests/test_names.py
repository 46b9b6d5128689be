"""Page names: the documented rule for spaces, Unicode and what is refused."""

from __future__ import annotations

import pytest

from wiki.errors import InvalidPageName, InvalidRevision
from wiki.names import check_revision, normalize_page_name, page_file, page_from_file, page_sections, page_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Home", "Home"),
        ("Mapping/Cybersecurity", "Mapping/Cybersecurity"),
        ("Working modalities", "Working_modalities"),
        ("  Working   modalities ", "Working_modalities"),
        ("Mapping/Data protection", "Mapping/Data_protection"),
        ("mapping/cybersecurity", "mapping/cybersecurity"),  # case is preserved
        ("الحوكمة", "الحوكمة"),
        ("互联网治理", "互联网治理"),
        ("Mapping/Кибербезопасность", "Mapping/Кибербезопасность"),
        ("Gouvernance d'Internet (2014)", "Gouvernance_d'Internet_(2014)"),
        ("Cafe\u0301", "Caf\u00e9"),  # NFD is normalized to NFC
        ("A&B, C+D", "A&B,_C+D"),
    ],
)
def test_valid_names(raw: str, expected: str) -> None:
    assert normalize_page_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "../etc/passwd", "a/../b", "/absolute", "a//b", "a/", ".hidden", "a/.git", ".git/config",
        "-option", "a/-/edit", "a/-", "content.git", "x.git/y", "nul\0byte", "tab\there", "new\nline",
        "bidi\u202eevil", "rtl\u200fmark", "q?x", "hash#x", "pct%41", "back\\slash", "colon:x", "star*",
        'quote"x', "<script>", "pipe|x", "[[x]]", "{x}", "a" * 201, "/".join(["a"] * 9), "trailing.",
        "x" * 150 + "/" + "é" * 101,
    ],
)
def test_invalid_names(raw: str) -> None:
    with pytest.raises(InvalidPageName) as caught:
        normalize_page_name(raw)
    assert caught.value.message  # every refusal says why


def test_files_and_titles() -> None:
    assert page_file("Mapping/Cybersecurity") == "Mapping/Cybersecurity.md"
    assert page_from_file("Mapping/Cybersecurity.md") == "Mapping/Cybersecurity"
    assert page_from_file("Mapping/logo.png") is None
    assert page_from_file("../x.md") is None
    assert page_from_file("Has space.md") is None  # not canonical: spaces are underscores
    assert page_title("Mapping/Data_protection") == "Data protection"
    assert page_sections("a/b/c") == ["a", "a/b"]


@pytest.mark.parametrize("rev", ["abcd", "ABCDEF12", "0" * 40, "a" * 64])
def test_revisions_allowed(rev: str) -> None:
    assert check_revision(rev) == rev.lower()


@pytest.mark.parametrize("rev", ["", "abc", "HEAD", "main", "--all", "-n", "a" * 65, "abcd^", "abcd~1", "@{1}", "g123"])
def test_revisions_refused(rev: str) -> None:
    with pytest.raises(InvalidRevision):
        check_revision(rev)
