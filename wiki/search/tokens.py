"""What the index and a query see of a text: characters folded, CJK split apart, queries quoted.

FTS5's ``unicode61`` tokenizer cannot do two things alone, so they are done here, to the indexed
text and the query alike: Chinese and Japanese have no spaces between words, so each of their
characters becomes a token (a query word becomes a phrase of characters, which finds the word
inside a sentence); Arabic vowel marks and the Russian ``ё`` are folded so spelling variants match.
:func:`search_form` is the lower-cased, accent-free form the index compares, used to find matches
for snippets. Pure: no Flask, no git, no SQLite.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
# U+2063 INVISIBLE SEPARATOR: a separator for unicode61, put between CJK characters, dropped on output.
CJK_SEPARATOR = "\u2063"

_CJK = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2063]")
_QUERY_TERM = re.compile(r'"([^"]*)"?|(\S+)')
# A token as the unicode61 tokenizer sees one, closely enough for snippets: a run of letters and
# digits. Its complement separates the tokens of a phrase.
TOKEN = re.compile(r"[^\W_]+")
_FOLDED = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u03c2]")  # what search_form() translates


def fold(text: str) -> str:
    """Text as the index sees it: CJK characters split apart, Arabic marks and ``ё`` folded."""
    text = _CONTROL.sub(" ", text)
    text = _ARABIC_MARKS.sub("", text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    return _CJK.sub(CJK_SEPARATOR + r"\1" + CJK_SEPARATOR, text)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The terms of what a user typed, folded, each with whether it is a prefix (``word*``).

    ``"several words"`` is one term (a phrase); terms without a letter or digit are dropped, and
    only the first :data:`MAX_TERMS` are kept.
    """
    terms = []
    for match in _QUERY_TERM.finditer(query[:MAX_QUERY_CHARS]):
        phrase, word = match.groups()
        prefix = False
        if phrase is None:
            prefix = word.endswith("*")
            phrase = word.strip("*")
        text = fold(phrase)
        if not any(char.isalnum() for char in text):
            continue
        terms.append((text, prefix))
        if len(terms) == MAX_TERMS:
            break
    return terms


def match_expression(query: str) -> str | None:
    """A safe FTS5 expression for what a user typed, or ``None`` when it has no words.

    Every term is quoted, so FTS5 operators, column filters and stray quotes typed by a user are
    just text. ``"several words"`` is a phrase, a trailing ``*`` makes a prefix query; all terms
    must match.
    """
    return " ".join('"' + text.replace('"', '""') + '"' + (" *" if prefix else "")
                    for text, prefix in query_terms(query)) or None


@functools.cache
def _folding_table() -> dict[int, str]:
    """What :func:`search_form` maps characters to after lowering them, one character for one."""
    table = {0x3C2: "σ"}  # final sigma, which Python lowers by context and unicode61 folds to σ
    for code in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):  # Latin letters with marks
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table


def search_form(text: str) -> str:
    """``text`` as the index compares it (lower case, Latin letters without marks), as long as ``text``.

    unicode61 with ``remove_diacritics 2`` folds the same way: ``É`` and ``é`` are ``e``, but
    ``й`` stays ``й``. Keeping the length keeps every offset valid in the original text.
    """
    text = text.replace("\u0130", "i").lower()
    return text.translate(_folding_table()) if _FOLDED.search(text) else text  # translate is slow on CJK

