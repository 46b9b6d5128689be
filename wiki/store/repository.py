"""Creating the bare content repository with the settings and push hooks the wiki relies on."""

from __future__ import annotations

import os

from .reader import Reader

HOOK_NAMES = ("pre-receive", "post-receive")
# Pushes served by the wiki set WIKI_HOOK_PYTHON; a local push by someone with access to the
# repository's directory (who could move refs by hand anyway) is not checked.
HOOK_SCRIPT = """#!/bin/sh
# Installed and kept current by Living Wiki (wiki/store/). Pushes through the wiki's
# /content.git are checked (pre-receive) and attributed (post-receive) by the wiki.hooks module.
[ -n "$WIKI_HOOK_PYTHON" ] || exit 0
exec "$WIKI_HOOK_PYTHON" -m wiki.hooks {name}
"""
SETTINGS = (
    ("core.logAllRefUpdates", "always"),  # a reflog even in a bare repo: who moved main
    ("receive.denyNonFastForwards", "true"),
    ("receive.denyDeletes", "true"),
    ("core.commitGraph", "true"),
    ("fetch.writeCommitGraph", "true"),
    ("gc.writeCommitGraph", "true"),
)


def exists(reader: Reader) -> bool:
    return (reader.path / "HEAD").is_file() and (reader.path / "objects").is_dir()


def create(reader: Reader, branch: str) -> None:
    """Create the bare repository if missing (idempotent), its settings and hooks."""
    reader.path.parent.mkdir(parents=True, exist_ok=True)
    if not exists(reader):
        reader.run("init", "--bare", "--quiet", f"--initial-branch={branch}", str(reader.path),
                   cwd=reader.path.parent, in_repo=False)
    for key, value in SETTINGS:
        reader.run("config", key, value)
    install_hooks(reader)


def install_hooks(reader: Reader) -> None:
    """Write the push hooks (idempotent): they run ``python -m wiki.hooks`` for pushes to /content.git."""
    hooks = reader.path / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOK_NAMES:
        hook = hooks / name
        script = HOOK_SCRIPT.format(name=name)
        if not hook.is_file() or hook.read_text(encoding="utf-8", errors="replace") != script:
            temporary = hooks / f".{name}.{os.getpid()}.tmp"
            temporary.write_text(script, encoding="utf-8")
            temporary.chmod(0o755)
            temporary.replace(hook)
