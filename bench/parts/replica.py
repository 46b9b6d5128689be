"""Issue 18: a read replica's lag and page views, with a throwaway PostgreSQL."""

from __future__ import annotations

import html
import os
import pwd
import random
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generate import HOT_PAGE, cached

from wiki import create_app

from .common import (
    BASE_RE,
    CSRF_RE,
    OUT,
    PASSWORD,
    PG_BIN,
    ROOT,
    SIZES,
    TEXT_RE,
    Client,
    free_port,
    gunicorn,
    login,
    percentiles,
    quote,
    timed_get,
    wait_for,
    wrk,
)


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server's commands as the ``postgres`` account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@contextmanager
def postgres():
    """A throwaway PostgreSQL on a Unix socket only (as ``tests/test_postgres.py`` starts it), with
    a database ``wiki``; yields its URL. The server is stopped and its directory removed after."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries missing ({PG_BIN}/initdb): install Debian's postgresql")
    base = Path(tempfile.mkdtemp(prefix="wiki-bench-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (base, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    try:
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                    "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                                    "-o", f"-k {socket_dir} -c listen_addresses='' -c fsync=off", "start"),
                       check=True, capture_output=True)
        try:
            import psycopg

            with psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True) as db:
                db.execute("CREATE DATABASE wiki")
            yield f"postgresql://postgres@/wiki?host={socket_dir}"
        finally:
            subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"),
                           capture_output=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def measure_replica(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 18's read replicas on the large repository: a primary and a replica, each gunicorn with
    2 workers on 127.0.0.1, sharing a throwaway PostgreSQL and a SECRET_KEY. The lag from a save
    through the primary's edit form (an editor logged in on the primary, timed from its 302) to the
    first answer of the replica showing the new sentence (polled every 10 ms, anonymous); then page
    views with wrk at concurrency 4 on the primary, the replica, and the primary again."""
    repo = cached(SIZES["large"], OUT)
    saves = 5 if quick else 20
    results: dict[str, Any] = {"workers": 2, "saves": saves}

    def report(name: str) -> None:
        value = results[name]
        figure = f"{value['rps']:,.0f} req/s, p50 " if "rps" in value else "p50 "
        print(f"[replica] {name}: {figure}{value['p50']:.2f} ms, p95 {value['p95']:.2f} ms", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="replica-", dir=OUT) as scratch, postgres() as database:
        primary_dir, replica_dir = Path(scratch) / "primary", Path(scratch) / "replica"
        primary_port, replica_port = free_port(), free_port()
        secret = os.urandom(16).hex()
        primary_dir.mkdir()
        shutil.copytree(repo, primary_dir / "content.git")
        (primary_dir / "config.py").write_text(
            f"SECRET_KEY = {secret!r}\nDATABASE_URL = {database!r}\n"
            f"REPLICAS = ['http://127.0.0.1:{replica_port}']\nREPLICA_NOTIFY_SECRET = {secret!r}\n")
        app = create_app(instance_path=str(primary_dir))
        app.extensions["wiki_users"].create("bencher", PASSWORD, group="civil-society", role="editor",
                                            display_name="Bench Editor", email="bench@example.org")
        outside = app.extensions["wiki_store"]
        pages = [p for p in outside.list_pages() if p != HOT_PAGE]
        outside.close()
        hot = "/" + quote(HOT_PAGE)
        view_paths = ["/" + quote(p) for p in pages[:199]] + [hot]
        rng = random.Random(18)
        edited = sorted(pages[199:], key=lambda p: rng.random())[:saves]
        with gunicorn("wsgi:app", primary_port, {"WIKI_INSTANCE_PATH": str(primary_dir)}, workers=2):
            results["primary_cold_start"] = wait_for(primary_port, hot, 60) * 1000
            replica_dir.mkdir()
            (replica_dir / "config.py").write_text(f"SECRET_KEY = {secret!r}\nDATABASE_URL = {database!r}\n"
                                                   f"REPLICA_NOTIFY_SECRET = {secret!r}\n")
            env = {**os.environ, "WIKI_INSTANCE_PATH": str(replica_dir)}
            started = time.perf_counter()
            made = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wiki", "replica",
                                   "--primary", f"http://127.0.0.1:{primary_port}"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=600)
            if made.returncode != 0:
                raise RuntimeError(f"flask replica failed: {made.stdout} {made.stderr}")
            results["make_replica_s"] = time.perf_counter() - started
            print(f"[replica] flask replica took {results['make_replica_s']:.1f} s", file=sys.stderr)
            with gunicorn("wsgi:app", replica_port, {"WIKI_INSTANCE_PATH": str(replica_dir)}, workers=2):
                results["replica_cold_start"] = wait_for(replica_port, hot, 60) * 1000
                editor, reader = Client(primary_port), Client(replica_port)
                login(editor, "bencher")
                samples, polls = [], []
                for index, page in enumerate(edited):
                    path = "/" + quote(page)
                    timed_get(reader, path, "page-body")  # the replica has the page's current text
                    status, form, _ = editor.get(path + "/-/edit")
                    token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
                    base = BASE_RE.search(form).group(1)  # type: ignore[union-attr]
                    text = html.unescape(TEXT_RE.search(form).group(1))  # type: ignore[union-attr]
                    sentence = f"Replicated edit {index} {time.time_ns()}."
                    status, body, _ = editor.request("POST", path + "/-/edit", {
                        "csrf_token": token, "base": base, "text": text + f"\n{sentence}\n",
                        "summary": f"Bench replica edit {index}"})
                    if status != 302:
                        raise RuntimeError(f"save of {page} answered {status}: {body[:500]}")
                    saved = time.perf_counter()
                    tries = 0
                    while True:
                        tries += 1
                        status, body, _ = reader.get(path)
                        if sentence in body:
                            break
                        if time.perf_counter() - saved > 60:
                            raise RuntimeError(f"the edit of {page} did not reach the replica in 60 s")
                        time.sleep(0.01)
                    samples.append(time.perf_counter() - saved)
                    polls.append(tries)
                    time.sleep(rng.uniform(0.2, 0.6))  # saves at moments the fetch timer does not know
                results["lag"] = {**percentiles(samples), "max": max(samples) * 1000, "polls": polls}
                report("lag")
                for port in (primary_port, replica_port):  # every page in both workers' caches
                    client = Client(port)
                    for path in view_paths:
                        timed_get(client, path, "page-body")
                    wrk(port, view_paths, 3)
                for name, port in (("view_primary", primary_port), ("view_replica", replica_port),
                                   ("view_primary_again", primary_port)):
                    results[name] = wrk(port, view_paths, seconds)
                    report(name)
                primary_rps = (results["view_primary"]["rps"] + results["view_primary_again"]["rps"]) / 2
                results["replica_vs_primary"] = results["view_replica"]["rps"] / primary_rps
    return results


def replica_table(results: dict[str, Any]) -> str:
    rows = [("Read replica (large, 2 workers each)", "p50 / req/s", "p95", "target", "met")]
    lag = results["lag"]
    rows.append((f"save on the primary to the replica (n={lag['n']}, max {lag['max']:,.0f} ms)",
                 f"{lag['p50']:,.0f} ms", f"{lag['p95']:,.0f} ms", "p95 < 2 s", "yes" if lag["p95"] < 2000 else "NO"))
    for label, key in (("page views/s on the primary (c=4), before", "view_primary"),
                       ("page views/s on the replica (c=4)", "view_replica"),
                       ("page views/s on the primary (c=4), after", "view_primary_again")):
        value = results[key]
        extra = f" ({results['replica_vs_primary']:.0%})" if key == "view_replica" else ""
        rows.append((label, f"{value['rps']:,.0f}{extra}", f"{value['p95']:.2f} ms", "", ""))
    rows.append(("flask replica (mirror + search index)", f"{results['make_replica_s']:.1f} s", "", "", ""))
    rows.append(("cold start primary / replica", f"{results['primary_cold_start']:,.0f} ms",
                 f"{results['replica_cold_start']:,.0f} ms", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
