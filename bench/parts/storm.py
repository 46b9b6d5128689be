"""The stale-base storm: clients save one page at once, all from the same base, through the edit
form; an edit is lost when the wiki answered "saved" (a redirect) and its line is not in the page
afterwards. Each client changes its own line, so the three-way merge can keep every edit; a
conflict (409, the author's text shown back) is not a loss."""

from __future__ import annotations

import html
import threading
import time
from typing import Any

from generate import cached

from wiki.store import Author, Store

from .common import (
    BASE_RE,
    CSRF_RE,
    OUT,
    SIZES,
    TEXT_RE,
    Client,
    build_instance,
    free_port,
    gunicorn,
    login,
    quote,
    wait_for,
)

PAGE = "Storm/Shared"
AUTHOR = Author(name="Storm Seeder", email="storm@example.org", username="storm", group="governments")


def measure_storm(clients: int = 8, rounds: int = 5) -> dict[str, Any]:
    """``rounds`` times: ``clients`` threads read the edit form, wait for each other, then post at
    once; returns the saves reported done, the conflicts, other answers, and the edits lost."""
    instance, _routes = build_instance("storm", cached(SIZES["small"], OUT))
    store = Store(instance / "content.git")
    lines = ["# Shared", ""] + [f"line {n}: nothing yet\n" for n in range(clients)]
    store.save_page(PAGE, "\n".join(lines), base=store.head(), author=AUTHOR, summary="Storm page")
    store.close()
    port = free_port()
    path = "/" + quote(PAGE) + "/-/edit"
    saved: list[str] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    with gunicorn("wsgi:app", port, {"WIKI_INSTANCE_PATH": str(instance)}, workers=2):
        wait_for(port, "/" + quote(PAGE))
        sessions = []
        for _ in range(clients):
            client = Client(port)
            login(client, "bencher")
            sessions.append(client)
        reader = Store(instance / "content.git")
        lost: list[str] = []
        started = time.monotonic()
        for round_number in range(rounds):
            barrier = threading.Barrier(clients, timeout=30)

            def edit(number: int, client: Client, round_number: int = round_number,
                     barrier: threading.Barrier = barrier) -> None:
                _status, form, _ = client.get(path)
                token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
                base = BASE_RE.search(form).group(1)  # type: ignore[union-attr]
                text = html.unescape(TEXT_RE.search(form).group(1))  # type: ignore[union-attr]
                marker = f"client {number} round {round_number}"
                changed = "\n".join(f"line {number}: {marker}" if line.startswith(f"line {number}:") else line
                                    for line in text.split("\n"))
                barrier.wait()
                status, _body, _ = client.request("POST", path, {"csrf_token": token, "base": base, "text": changed,
                                                                 "summary": marker})
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 302:
                        saved.append(marker)

            threads = [threading.Thread(target=edit, args=(n, c)) for n, c in enumerate(sessions)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            text = reader.read_page(PAGE).text  # every edit of this round reported saved must be in it
            lost += [marker for marker in saved if marker.endswith(f" round {round_number}") and marker not in text]
        seconds = time.monotonic() - started
    reader.close()
    return {"clients": clients, "rounds": rounds, "saved": len(saved), "conflicts": statuses.get(409, 0),
            "other": sum(count for status, count in statuses.items() if status not in (302, 409)),
            "lost": len(lost), "seconds": seconds}
