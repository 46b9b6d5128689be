"""Add language versions of pages to a generated bench repository, with ``git fast-import``.

On top of a repository from ``generate.py`` (by default the large one: 2,000 pages, 20,000
commits), each page gets, for each of ``ar``, ``zh``, ``fr``, ``ru`` and ``es``, a version with
probability 0.6 (~6,000 files ``<page>.<lang>.md`` beside ``<page>.md``). Each version starts
with the header the wiki writes::

    ---
    source-commit: <40 hex>
    source-blob: <40 hex>
    ---

Half of them (at random) are up to date: ``source-blob`` is the blob id of the page's current
text and ``source-commit`` the base repository's tip. The other half are outdated: they record
the page's text at the first commit (the import) and that commit, or, for a page never edited
since, the blob id of a slightly different text. The version's text is the page's current text
with its words replaced from a small vocabulary of the language (links kept), so it has the
size, structure and script of a translation. The versions are added in commits of 25 files
each, with the trailers the wiki writes.

Output is deterministic for given parameters and cached in ``bench/out/`` by them; the file
``languages.json`` in the repository lists which page has which version in which state.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

from generate import Params, cached, generated_once

LANGUAGES = ("ar", "zh", "fr", "ru", "es")
SHARE = 0.6  # of pages with a version, per language
UP_TO_DATE_SHARE = 0.5  # of versions
PER_COMMIT = 25
SEED = 13
VOCABULARY = {
    "ar": ("الحوكمة الإنترنت السياسة أصحاب المصلحة التعاون المعزز القضايا العامة الأمن السيبراني الخصوصية "
           "البيانات الحماية الوصول البنية التحتية التنمية الرقمية الفجوة الإدماج الحقوق حرية التعبير "
           "المساءلة الشفافية توافق الآراء الفريق العامل الأمانة الولاية القرار التقرير التوصية الإطار "
           "المبدأ المعيار البروتوكول في من إلى على مع هذا التي أو و"),
    "zh": ("互联网 治理 政策 利益攸关方 多利益攸关方 合作 加强 公共 问题 网络安全 隐私 数据 保护 接入 连通性 "
           "基础设施 能力建设 发展 数字鸿沟 包容 权利 言论自由 问责 透明度 协商一致 工作组 秘书处 任务 决议 报告 "
           "建议 框架 原则 规范 标准 的 和 在 与 对 是"),
    "fr": ("gouvernance internet politique parties prenantes coopération renforcée questions publiques "
           "cybersécurité vie privée données protection accès connectivité infrastructure développement "
           "fracture numérique inclusion droits liberté expression responsabilité transparence consensus "
           "groupe de travail secrétariat mandat résolution rapport recommandation cadre principe norme "
           "le la les des du de et en pour sur avec par est sont qui"),
    "ru": ("управление интернетом политика заинтересованные стороны сотрудничество расширенное публичные "
           "вопросы кибербезопасность конфиденциальность данные защита доступ подключение инфраструктура "
           "развитие цифровой разрыв вовлечение права свобода выражения подотчётность прозрачность консенсус "
           "рабочая группа секретариат мандат резолюция доклад рекомендация рамки принцип норма и в на с по "
           "для это которые"),
    "es": ("gobernanza internet política partes interesadas cooperación reforzada cuestiones públicas "
           "ciberseguridad privacidad datos protección acceso conectividad infraestructura desarrollo "
           "brecha digital inclusión derechos libertad expresión rendición cuentas transparencia consenso "
           "grupo de trabajo secretaría mandato resolución informe recomendación marco principio norma el "
           "la los las de del y en para con por es son que"),
}
_TOKEN = re.compile(r"\[\[[^\]\n]*\]\]|[A-Za-z]+")


def key(base: Params) -> str:
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    text = f"{base.key()} {SEED} {SHARE} {UP_TO_DATE_SHARE} {PER_COMMIT} {source}"
    return "repo-languages-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def translate(text: str, language: str) -> str:
    """The page's text with each word replaced by one of the language's (links kept as they are)."""
    words = VOCABULARY[language].split()

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("[["):
            return token
        return words[int(hashlib.md5(token.lower().encode()).hexdigest()[:6], 16) % len(words)]

    return _TOKEN.sub(replace, text)


def _git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], input=data, capture_output=True,
                          check=True).stdout


def _tree(git_dir: Path, commit: str) -> dict[str, str]:
    """``{page: blob id}`` of the pages (``*.md``, no versions) at ``commit``."""
    found = {}
    for line in _git(git_dir, "ls-tree", "-r", "-z", commit).split(b"\0"):
        if not line:
            continue
        meta, _, path = line.decode().partition("\t")
        if path.endswith(".md"):
            found[path[:-3]] = meta.split()[2]
    return found


def _read_blobs(git_dir: Path, blobs: list[str]) -> dict[str, bytes]:
    output = _git(git_dir, "cat-file", "--batch", data="".join(f"{b}\n" for b in blobs).encode())
    contents, position = {}, 0
    for blob in blobs:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        contents[blob] = output[header_end + 1:header_end + 1 + size]
        position = header_end + 1 + size + 1
    return contents


def generate(base: Path, target: Path) -> Path:
    """Copy the repository ``base`` to ``target`` and commit language versions on its ``main``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    (target / "bench-params.json").unlink()
    rng = random.Random(SEED)
    head = _git(target, "rev-parse", "main").decode().strip()
    root = _git(target, "rev-list", "--max-parents=0", "main").decode().split()[0]
    current, first = _tree(target, head), _tree(target, root)
    texts = _read_blobs(target, sorted(set(current.values())))
    stamp = int(_git(target, "log", "-1", "--format=%ct", "main").decode())
    manifest: dict[str, dict[str, list[str]]] = {lang: {"up to date": [], "outdated": []} for lang in LANGUAGES}
    files: list[tuple[str, str, bytes]] = []  # (language, path, data)
    for page in sorted(current):
        blob = current[page]
        text = texts[blob].decode()
        for language in LANGUAGES:
            if rng.random() >= SHARE:
                continue
            if rng.random() < UP_TO_DATE_SHARE:
                source_commit, source_blob, state = head, blob, "up to date"
            else:
                source_commit, state = root, "outdated"
                source_blob = first.get(page, blob)
                if source_blob == blob:  # never edited since the import: an earlier text of it
                    source_blob = blob_id(texts[blob] + b"\nA paragraph since removed.\n")
            manifest[language][state].append(page)
            header = f"---\nsource-commit: {source_commit}\nsource-blob: {source_blob}\n---\n\n"
            files.append((language, f"{page}.{language}.md", (header + translate(text, language)).encode()))
    process = subprocess.Popen(["git", f"--git-dir={target}", "fast-import", "--quiet", "--date-format=raw"],
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    for start in range(0, len(files), PER_COMMIT):
        batch = files[start:start + PER_COMMIT]
        stamp += rng.randint(60, 3_600)
        number = rng.randrange(60)
        ident = f"User {number:03d} <user{number:03d}@users.example.org> {stamp} +0000".encode()
        languages = sorted({language for language, _, _ in batch})
        message = (f"Translate {len(batch)} pages into {', '.join(languages)}\n\n"
                   f"Stakeholder-Group: civil-society\nWiki-User: user{number:03d}\n").encode()
        chunks = [b"commit refs/heads/main\n", b"author " + ident + b"\n",
                  b"committer Living Wiki <wiki@living-wiki.invalid> %d +0000\n" % stamp,
                  b"data %d\n" % len(message) + message]
        if start == 0:  # the next commits follow on the branch as fast-import left it
            chunks.append(f"from {head}\n".encode())
        for _, path, data in batch:
            chunks.append(f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n")
        process.stdin.write(b"".join(chunks) + b"\n")
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("git fast-import failed")
    _git(target, "commit-graph", "write", "--reachable", "--changed-paths", "--no-progress")
    (target / "languages.json").write_text(json.dumps({"base_head": head, "versions": len(files),
                                                       "languages": manifest}, indent=1))
    (target / "bench-params.json").write_text(json.dumps({"base": base.name, "languages": LANGUAGES}))
    return target


def cached_languages(base: Params, root: Path) -> Path:
    """The repository with language versions on top of ``base``'s, generated once and reused."""
    return generated_once(root / key(base), lambda target: generate(cached(base, root), target))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Generate (or reuse) the bench repository with language versions.")
    parser.add_argument("--pages", type=int, default=2_000)
    parser.add_argument("--commits", type=int, default=20_000)
    args = parser.parse_args()
    print(cached_languages(Params(pages=args.pages, commits=args.commits), Path(__file__).resolve().parent / "out"))
