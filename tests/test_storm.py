"""Concurrency storm: gunicorn with 4 workers, 16 clients saving at once from fresh and stale bases.

14 clients edit in the browser's way (edit form, then post), 2 push commits with `git push` over
/content.git. Every edit must end up in the repository or come back to its author as a conflict
(409) that shows their text (a refused push leaves the commit in the pusher's clone); no answer
is a 5xx; `git fsck --strict` stays clean; and the number of new
commits equals the number of saves the wiki reported as saved or merged. The clients are bounded
(a fixed number of saves each) and the server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from wiki import create_app
from wiki.users import DEFAULT_GROUPS

from .conftest import CSRF_RE, PASSWORD, git
from .support.browser import Browser
from .support.servers import gunicorn

CLIENTS = 16
PUSHERS = 2  # of the CLIENTS, these push with git; the others use the edit form
SAVES_PER_CLIENT = 24
PUSHES_PER_PUSHER = 4
PUSH_ATTEMPTS = 40
SHARED_PAGES = ["Storm/Shared_one", "Storm/Shared_two"]
BASE_RE = re.compile(r'name="base" value="([0-9a-f]*)"')
TEXTAREA_RE = re.compile(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', re.S)


def shared_text() -> str:
    """A page where each client owns one line, two lines apart: edits to different lines merge."""
    lines = ["# Shared", "", "common line: nobody yet"]
    for client in range(CLIENTS):
        lines += ["", f"line of client {client}: nothing yet", ""]
    return "\n".join(lines) + "\n"


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    saved: list[str] = field(default_factory=list)  # markers of edits reported saved or merged
    pushed: list[str] = field(default_factory=list)  # markers of commits in accepted pushes
    refused_pushes: int = 0
    conflicts: list[str] = field(default_factory=list)  # markers answered with a conflict
    problems: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def server(tmp_path: Path):  # noqa: ANN201
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'storm-secret'\n"
                                        "PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n", encoding="utf-8")
    app = create_app(instance_path=str(instance))
    users = app.extensions["wiki_users"]
    groups = list(DEFAULT_GROUPS)
    for number in range(CLIENTS):
        users.create(f"storm{number}", PASSWORD, group=groups[number % len(groups)],
                     role="admin" if number >= CLIENTS - PUSHERS else "editor")  # pushing needs admin
    store = app.extensions["wiki_store"]
    from wiki.store import Author

    setup = Author(name="Setup", email="setup@example.org", username="setup", group=groups[0])
    for page in SHARED_PAGES:
        store.save_page(page, shared_text(), base=store.head(), author=setup, summary="storm setup")
    store.close()
    with gunicorn(instance, workers=4, log=tmp_path / "gunicorn.log", args=("--timeout", "60")) as served:
        yield served.port, app.config["CONTENT_REPO"], served.log


def client_loop(port: int, number: int, outcomes: Outcomes) -> None:
    """Log in, then make SAVES_PER_CLIENT edits: shared or own page, fresh or stale base."""
    rng = random.Random(number)
    browser = Browser(port)
    browser.login(f"storm{number}")
    old_forms: dict[str, tuple[str, str]] = {}  # page -> (base, text) seen earlier: a stale base
    for count in range(SAVES_PER_CLIENT):
        page = rng.choice(SHARED_PAGES) if rng.random() < 0.7 else f"Storm/Own_{number}"
        status, _, html = browser.request("GET", f"/{page}/-/edit")
        if status >= 500:
            with outcomes.lock:
                outcomes.statuses[status] += 1
            continue
        token = CSRF_RE.search(html).group(1)
        base = BASE_RE.search(html).group(1)
        text = _unescape(TEXTAREA_RE.search(html).group(1))
        stale = page in old_forms and rng.random() < 0.5
        if stale:
            base, text = old_forms[page]
        else:
            old_forms[page] = (base, text)
        marker = f"<c{number}-{count}>"
        kind = "common" if rng.random() < 0.15 else "own line"
        if kind == "common" and "common line:" in text:
            text = re.sub(r"common line: .*", f"common line: {marker}", text)
        elif f"line of client {number}:" in text:
            text = re.sub(rf"line of client {number}: .*", f"line of client {number}: {marker}", text)
        else:
            text = text + f"\n{marker}\n"
        status, headers, answer = browser.request("POST", f"/{page}/-/edit", {
            "csrf_token": token, "base": base, "text": text, "summary": f"storm {marker}"})
        with outcomes.lock:
            outcomes.statuses[status] += 1
            outcomes.kinds[f"{'stale' if stale else 'fresh'} {kind}"] += 1
        if status == 302:
            _, _, shown = browser.request("GET", headers["Location"])
            with outcomes.lock:
                if "Your changes were saved." in shown or "were merged" in shown:
                    outcomes.saved.append(marker)
                elif "no changes" not in shown:
                    outcomes.problems.append(f"{marker}: 302 without a saved/merged/no-change message")
        elif status == 409:
            with outcomes.lock:
                outcomes.conflicts.append(marker)
                if _escape(marker) not in answer:
                    outcomes.problems.append(f"{marker}: conflict page without the user's text")
        else:
            with outcomes.lock:
                outcomes.problems.append(f"{marker}: status {status}: {answer[:200]}")


def pusher_loop(port: int, number: int, outcomes: Outcomes, workdir: Path) -> None:
    """Clone once, then PUSHES_PER_PUSHER times: catch up with main, commit one page, push."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": f"Pusher {number}",
           "GIT_AUTHOR_EMAIL": f"p{number}@example.org", "GIT_COMMITTER_NAME": f"Pusher {number}",
           "GIT_COMMITTER_EMAIL": f"p{number}@example.org"}
    clone = workdir / f"clone{number}"
    url = f"http://storm{number}:{quote(PASSWORD)}@127.0.0.1:{port}/content.git"

    def run(*args: str, cwd: Path | None = clone) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)

    cloned = run("clone", "-q", url, str(clone), cwd=workdir)
    if cloned.returncode != 0:
        with outcomes.lock:
            outcomes.problems.append(f"clone failed: {cloned.stderr}")
        return
    for count in range(PUSHES_PER_PUSHER):
        marker = f"<p{number}-{count}>"
        for _attempt in range(PUSH_ATTEMPTS):  # as a maintainer would: pull, commit again, push again
            fetched = run("fetch", "-q", "origin")
            run("reset", "-q", "--hard", "origin/main")
            page = clone / "Storm" / f"Pushed_{number}.md"
            page.parent.mkdir(exist_ok=True)
            page.write_text(f"# Pushed\n\n{marker}\n", encoding="utf-8")
            run("add", "-A")
            run("commit", "-q", "-m", f"push {marker}", "-m", f"Stakeholder-Group: {DEFAULT_GROUPS_LIST[0]}")
            pushed = run("push", "-q", "origin", "main")
            errors = fetched.stderr + pushed.stderr
            with outcomes.lock:
                if re.search(r"error: 5\d\d|returned error: 5", errors):
                    outcomes.statuses[500] += 1
                    outcomes.problems.append(f"{marker}: {errors[-300:]}")
                    return
                if pushed.returncode == 0:
                    outcomes.pushed.append(marker)
                    break
                if not re.search(r"rejected|fetch first|non-fast-forward|cannot lock ref", errors):
                    outcomes.problems.append(f"{marker}: push failed: {errors[-300:]}")
                    return
                outcomes.kinds["push refused: main moved"] += 1  # the commit is still in the clone
            time.sleep(0.05)
        else:
            with outcomes.lock:
                outcomes.refused_pushes += 1


DEFAULT_GROUPS_LIST = list(DEFAULT_GROUPS)


def _unescape(html: str) -> str:
    return (html.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
            .replace("&quot;", '"').replace("&amp;", "&"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_storm_of_concurrent_saves_loses_nothing(server, tmp_path: Path) -> None:  # noqa: ANN001
    port, repo, log = server
    workdir = tmp_path / "pushers"
    workdir.mkdir()
    before = int(git(repo, "rev-list", "--count", "main"))
    outcomes = Outcomes()
    threads = [threading.Thread(target=client_loop, args=(port, number, outcomes), daemon=True)
               for number in range(CLIENTS - PUSHERS)]
    threads += [threading.Thread(target=pusher_loop, args=(port, number, outcomes, workdir), daemon=True)
                for number in range(CLIENTS - PUSHERS, CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "a client hung"

    server_errors = {status: n for status, n in outcomes.statuses.items() if status >= 500}
    assert server_errors == {}, log.read_text()[-3000:]
    assert outcomes.problems == []
    total = (CLIENTS - PUSHERS) * SAVES_PER_CLIENT
    assert len(outcomes.saved) + len(outcomes.conflicts) == total
    assert len(outcomes.pushed) + outcomes.refused_pushes == PUSHERS * PUSHES_PER_PUSHER and outcomes.pushed
    assert outcomes.conflicts and outcomes.kinds["stale own line"] and outcomes.kinds["fresh common"]

    fsck = subprocess.run(["git", f"--git-dir={repo}", "fsck", "--strict", "--no-progress"], capture_output=True,
                          text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    after = int(git(repo, "rev-list", "--count", "main"))
    # one commit per accepted save or push, none lost, none doubled
    assert after - before == len(outcomes.saved) + len(outcomes.pushed)
    added = "\n".join(line for line in git(repo, "log", "-p", "--format=", "main", "--", "Storm").splitlines()
                      if line.startswith("+"))  # page text only: summaries carry the marker too
    missing = [marker for marker in outcomes.saved + outcomes.pushed if marker not in added]
    assert missing == []  # every accepted edit is in a commit
    print(f"{total} saves in {elapsed:.1f}s: {len(outcomes.saved)} saved or merged, "
          f"{len(outcomes.conflicts)} conflicts; {dict(outcomes.kinds)}; {len(outcomes.pushed)} pushes accepted, "
          f"{outcomes.refused_pushes} refused")
