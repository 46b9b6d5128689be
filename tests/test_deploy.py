"""The deployment files (issue 25): nginx runs deploy/nginx/living-wiki.conf.template as written
(only ports and folders filled in) in front of a primary and a read replica under gunicorn that
share a PostgreSQL: anonymous reads go to the replica, a 5 MB `git push` and everything a
logged-in person does go to the primary, and the wiki's links name the address the client used."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from wiki import create_app

from .conftest import PASSWORD
from .support.browser import Browser
from .support.nginx import TEMPLATE, nginx
from .support.servers import BIN, ROOT, free_port, gunicorn, wait_until

DEPLOY = ROOT / "deploy"
PUSH_BYTES = 5 * 1024 * 1024


def _instance(folder: Path, database: str, extra: str = "") -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text(
        f"SECRET_KEY = 'deploy-secret-shared-by-both'\nPASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n"
        f"DATABASE_URL = {database!r}\nTRUSTED_PROXIES = 1\nREPLICA_NOTIFY_SECRET = 'deploy-notify-secret'\n{extra}",
        encoding="utf-8")
    return {**{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "WIKI_INSTANCE_PATH": str(folder)}


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str):  # noqa: ANN201
    """nginx in front of a primary and a replica; yields nginx's port and the two access logs."""
    primary_port, replica_port = free_port(), free_port()
    primary_env = _instance(tmp_path / "primary", postgres_url, f"REPLICAS = ['http://127.0.0.1:{replica_port}']\n")
    app = create_app(instance_path=str(tmp_path / "primary"))
    app.extensions["wiki_users"].create("boss", PASSWORD, group="governments", role="admin", display_name="Boss")
    app.extensions["wiki_users"].create("writer", PASSWORD, group="civil-society", role="editor",
                                        display_name="Wendy Writer")
    app.extensions["wiki_store"].close()
    logs = {name: tmp_path / f"{name}-access.log" for name in ("primary", "replica")}
    with gunicorn(tmp_path / "primary", port=primary_port, env=primary_env, log=tmp_path / "primary.log",
                  args=("--timeout", "120", "--access-logfile", str(logs["primary"]))):
        replica_env = _instance(tmp_path / "replica", postgres_url, "REPLICA_FETCH_SECONDS = 0.5\n")
        made = subprocess.run([str(BIN / "flask"), "--app", "wiki", "replica", "--primary",
                               f"http://127.0.0.1:{primary_port}"], env=replica_env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        with gunicorn(tmp_path / "replica", port=replica_port, env=replica_env, log=tmp_path / "replica.log",
                      args=("--access-logfile", str(logs["replica"]))), \
                nginx(tmp_path / "nginx", primary_port, replica_port) as front:
            yield front, logs, tmp_path


def _git(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
           "LC_ALL": "C", "GIT_AUTHOR_NAME": "Boss", "GIT_AUTHOR_EMAIL": "boss@example.org",
           "GIT_COMMITTER_NAME": "Boss", "GIT_COMMITTER_EMAIL": "boss@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _requests(log: Path, pattern: str) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if re.search(pattern, line))


def test_nginx_from_deploy_routes_reads_writes_and_a_5_mb_push(deployment) -> None:  # noqa: ANN001
    front, logs, tmp_path = deployment
    # Anonymous reads: the replica answers, nginx caches.
    assert Browser(front).request("GET", "/Mandate")[0] == 200
    # nginx files an answer in its cache just after sending it: the next reads are hits.
    wait_until(lambda: Browser(front).request("GET", "/Mandate")[1].get("X-Cache-Status") == "HIT",
               "nginx did not answer from its cache", seconds=5)
    wait_until(lambda: _requests(logs["replica"], r'"GET /Mandate HTTP') == 1, "the replica did not answer the read")
    assert _requests(logs["primary"], r'"GET /Mandate ') == 0
    # A logged-in person is sent to the primary for everything: the editor opens there, not a 307.
    writer = Browser(front)
    writer.login("writer")
    status, headers, html = writer.request("GET", "/Mandate/-/edit")
    assert status == 200 and "Wendy Writer" in html and headers.get("X-Cache-Status") == "BYPASS"
    # Links the wiki makes carry the address the client used (Host and X-Forwarded-Proto passed on).
    status, _, body = Browser(front).request("GET", "/-/api/v1/pages/No_such_page")
    assert status == 404 and json.loads(body)["type"].startswith(f"http://127.0.0.1:{front}/-/api")
    # git clones through nginx (from the replica) and pushes 5 MB through it (to the primary).
    home = tmp_path / "home"
    home.mkdir()
    url = f"http://boss:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{front}/content.git"
    clone = tmp_path / "clone"
    cloned = _git(home, "clone", "-q", url, str(clone))
    assert cloned.returncode == 0, cloned.stderr
    attachment = clone / "Mandate.files" / "report.pdf"
    attachment.parent.mkdir()
    attachment.write_bytes(b"%PDF-1.4\n" + os.urandom(PUSH_BYTES))  # random: the pack stays 5 MB
    assert _git(home, "add", ".", cwd=clone).returncode == 0
    assert _git(home, "commit", "-q", "-m", "A 5 MB report", cwd=clone).returncode == 0
    pushed = _git(home, "push", url, "HEAD:refs/heads/main", cwd=clone)
    assert pushed.returncode == 0, pushed.stderr
    wait_until(lambda: _requests(logs["primary"], r'"POST /content.git/git-receive-pack HTTP/1.1" 200'),
               "the push did not reach the primary")  # git may probe with a small request first
    assert _requests(logs["replica"], r"git-receive-pack") == 0
    head = _git(home, "rev-parse", "HEAD", cwd=clone).stdout.strip()
    # The replica catches up, and a fresh anonymous clone through nginx carries the 5 MB file.
    wait_until(lambda: _git(home, "ls-remote", f"http://127.0.0.1:{front}/content.git", "refs/heads/main")
               .stdout.startswith(head), "the replica did not fetch the push")
    again = tmp_path / "again"
    assert _git(home, "clone", "-q", f"http://127.0.0.1:{front}/content.git", str(again)).returncode == 0
    assert (again / "Mandate.files" / "report.pdf").stat().st_size == PUSH_BYTES + 9


def test_the_body_limit_leaves_room_for_every_upload_the_wiki_accepts(app) -> None:  # noqa: ANN001
    from wiki.views.git_http import PUSH_COMMANDS_ROOM

    limit = re.search(r"^\s*client_max_body_size (\d+)m;", TEMPLATE.read_text(), re.M)
    assert limit, "the nginx file sets client_max_body_size in megabytes"
    room = int(limit.group(1)) * 1024 * 1024
    config = app.config
    assert room >= config["MAX_PUSH_BYTES"] + PUSH_COMMANDS_ROOM
    assert room >= max(config["MAX_IMPORT_BYTES"], config["MAX_CONTENT_LENGTH"], config["MAX_ATTACHMENT_BYTES"])


def test_the_systemd_units_verify_and_run_commands_the_wiki_has(tmp_path: Path) -> None:
    """``systemd-analyze verify`` reads every unit (with this checkout in place of /opt/living-wiki),
    and each ``flask --app wiki`` command they run exists."""
    units = sorted((DEPLOY / "systemd").iterdir())
    assert {unit.name for unit in units} >= {"living-wiki.service", "living-wiki-replica.service",
                                             "living-wiki-backup.service", "living-wiki-backup.timer",
                                             "living-wiki-check.service", "living-wiki-check.timer"}
    commands = {line.split()[0] for line in subprocess.run([str(BIN / "flask"), "--app", "wiki", "--help"], cwd=ROOT,
                                                           capture_output=True, text=True).stdout.split("Commands:")[1]
                .splitlines() if line.strip()}
    for unit in units:
        text = unit.read_text().replace("/opt/living-wiki", str(ROOT))
        (tmp_path / unit.name).write_text(text)
        assert set(re.findall(r"flask --app wiki ([a-z-]+)", text)) <= commands, unit.name
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / unit.name) for unit in units)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr


def test_the_compose_file_uses_the_nginx_file_and_settings_the_wiki_knows() -> None:
    import yaml

    from wiki.settings import RULES

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "primary", "replica", "nginx"}
    mounts = " ".join(services["nginx"]["volumes"])
    assert "./nginx/living-wiki.conf.template:/etc/nginx/templates/" in mounts
    template_names = set(re.findall(r"\$\{([A-Z_]+)\}", "".join(
        line for line in TEMPLATE.read_text().splitlines(keepends=True) if not line.lstrip().startswith("#"))))
    assert template_names == set(services["nginx"]["environment"])
    known = set(RULES) | {"SECRET_KEY", "REPLICAS", "REPLICA_NOTIFY_SECRET"}
    for name in ("primary", "replica"):
        settings = {key.removeprefix("WIKI_") for key in services[name]["environment"]}
        assert settings <= known, settings - known
    assert (DEPLOY / "Containerfile").exists() and compose["x-wiki"]["build"]["dockerfile"] == "deploy/Containerfile"
