"""Keep the six interface catalogs complete while several branches add strings.

    python tools/catalogs.py missing            # msgids without a translation, per language
    python tools/catalogs.py apply FILE.json    # {"msgid": {"ar": "…", "zh": "…", …}} into the catalogs
    python tools/catalogs.py resolve            # after a rebase/merge conflict in messages.po files:
                                                # union both sides' translations, `make messages`, refill

Plural messages: use the msgid (singular) as the key and a list of forms as the value.
English is filled by `make messages` itself (msgstr = msgid).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ar", "zh", "fr", "ru", "es")
PO = "wiki/translations/{}/LC_MESSAGES/messages.po"


def _key(message_id: object) -> str:
    return message_id[0] if isinstance(message_id, tuple) else str(message_id)


def _translations(data: bytes, language: str) -> dict[str, object]:
    catalog = read_po(BytesIO(data), locale=language)
    found: dict[str, object] = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:
            found[_key(message.id)] = message.string
    return found


def _fill(language: str, known: dict[str, object]) -> list[str]:
    path = ROOT / PO.format(language)
    with open(path, "rb") as file:
        catalog = read_po(file, locale=language)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = _key(message.id)
        if key in known:
            value = known[key]
            message.string = tuple(value) if isinstance(message.id, tuple) and isinstance(value, list | tuple) \
                else value
            message.flags.discard("fuzzy")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(key)
    with open(path, "wb") as file:
        write_po(file, catalog, ignore_obsolete=True, width=76)
    return missing


def _git_show(spec: str) -> bytes | None:
    result = subprocess.run(["git", "show", spec], cwd=ROOT, capture_output=True)
    return result.stdout if result.returncode == 0 else None


CONFLICT = re.compile(rb"^<<<<<<< ", re.M)  # a conflict's first line (messages may quote the marker)


def resolve() -> None:
    known: dict[str, dict[str, object]] = {language: {} for language in LANGUAGES}
    for language in LANGUAGES:
        sources = [_git_show(spec + PO.format(language)) for spec in
                   (":1:", ":2:", ":3:", "HEAD:", "main:", "REBASE_HEAD:", "MERGE_HEAD:")]
        sources.append((ROOT / PO.format(language)).read_bytes())
        for data in sources:
            if data and not CONFLICT.search(data):
                known[language].update(_translations(data, language))
        subprocess.run(["git", "checkout", "--theirs" if _git_show(":3:" + PO.format(language)) else "HEAD",
                        "--", PO.format(language)], cwd=ROOT, capture_output=True)
    subprocess.run(["make", "messages"], cwd=ROOT, check=True, capture_output=True)
    for language in LANGUAGES:
        left = _fill(language, known[language])
        print(f"{language}: {len(left)} untranslated", *left[:10], sep="\n  ")
    subprocess.run(["git", "add", *(PO.format(lang) for lang in (*LANGUAGES, "en")),
                    "wiki/translations/messages.pot"], cwd=ROOT)


def apply(path: str) -> None:
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for language in LANGUAGES:
        left = _fill(language, {msgid: forms[language] for msgid, forms in table.items() if language in forms})
        print(f"{language}: {len(left)} untranslated", *left[:10], sep="\n  ")


def missing() -> None:
    for language in LANGUAGES:
        print(f"{language}:", *_fill(language, {}), sep="\n  ")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    {"resolve": resolve, "missing": missing}.get(command, lambda: apply(sys.argv[2]))()
