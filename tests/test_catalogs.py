"""The interface catalogs for the six UN languages are complete, in step with the code, and safe:
every message translated and not fuzzy, the same placeholders and the same HTML tags as the
original, and gettext's own checks pass (issue 13)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
TRANSLATIONS = ROOT / "wiki" / "translations"
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
COUNT = "num"  # ngettext's count: a plural form may leave it out ("one page", "دقيقة واحدة")


def catalog(language: str):  # noqa: ANN201
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def messages(language: str):  # noqa: ANN201
    return [message for message in catalog(language) if message.id]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    untranslated = [message.id for message in messages(language)
                    if not message.string or (isinstance(message.string, tuple) and not all(message.string))]
    fuzzy = [message.id for message in messages(language) if message.fuzzy]
    assert untranslated == [] and fuzzy == [], f"{language}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_and_tags(language: str) -> None:
    problems = []
    for message in messages(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        tags = sorted(TAG.findall(ids[0]))
        for form in strings:
            found = set(PLACEHOLDER.findall(form))
            if found != wanted and not (len(ids) > 1 and found == wanted - {COUNT}):
                problems.append(f"{ids[0]!r}: placeholders {sorted(found)} instead of {sorted(wanted)}")
            if sorted(TAG.findall(form)) != tags:
                problems.append(f"{ids[0]!r}: tags {sorted(TAG.findall(form))} instead of {tags}")
    assert problems == [], f"{language}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("language", LANGUAGES)
def test_gettext_accepts_the_catalog(language: str, tmp_path: Path) -> None:
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "messages.mo"),
                             str(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_catalogs_are_in_step_with_the_code(tmp_path: Path) -> None:
    """Every string the code marks is in the template and in each catalog, and nothing more:
    run ``make messages`` after changing a user-facing string, then translate what it added."""
    extracted = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-k", "lazy_gettext", "-o", str(extracted), "wiki"],
                   cwd=ROOT, check=True, capture_output=True)
    with open(extracted, "rb") as file:
        in_code = {message.id for message in read_po(file) if message.id}
    for language in LANGUAGES:
        in_catalog = {message.id for message in messages(language)}
        assert in_code - in_catalog == set(), f"{language}: not in the catalog: {sorted(in_code - in_catalog)[:10]}"
        assert in_catalog - in_code == set(), f"{language}: no longer in the code: {sorted(in_catalog - in_code)[:10]}"
