"""Operations (issue 25): health and readiness, Prometheus metrics summed over gunicorn's workers,
logs with one line per security event, request ids, the version, and warnings about settings."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from wiki import create_app
from wiki.operations import VERSION
from wiki.replica import fetch_state

from .conftest import CSRF_RE, PASSWORD, Auth, csrf_token, make_app
from .support.browser import Browser
from .support.git_http import Wiki, serve
from .support.postgres import app_on
from .support.servers import free_port, gunicorn, instance_env

TOKEN = "a-metrics-token-of-some-length"


def events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "wiki.security" and record.getMessage() == event]


# --------------------------------------------------------------------------- health and readiness


def test_health_and_readiness_answer_json_to_anyone_even_on_a_private_wiki(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", PUBLIC_READ=False)
    client = app.test_client()
    health = client.get("/-/health")
    assert health.status_code == 200 and health.json == {"status": "ok", "version": VERSION}
    assert health.headers["Cache-Control"] == "no-store" and len(health.headers["X-Request-Id"]) == 24
    ready = client.get("/-/ready")
    assert ready.status_code == 200, ready.json
    assert ready.json == {"status": "ready", "checks": {"accounts": "ok", "repository": "ok"}}
    assert client.get("/Home").status_code == 302  # the wiki itself stays private
    assert client.get("/-/health").headers["X-Request-Id"] != health.headers["X-Request-Id"]


def test_ready_is_503_while_the_accounts_database_is_unreachable(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    app = app_on(postgres_url, tmp_path / "instance")
    client = app.test_client()
    assert client.get("/-/ready").status_code == 200
    name = postgres_url.split("@/", 1)[1].split("?", 1)[0]
    admin_url = postgres_url.replace(f"/{name}?", "/postgres?")
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        down = client.get("/-/ready")
        assert down.status_code == 503 and down.json["status"] == "not ready"
        assert down.json["checks"]["repository"] == "ok"
        assert down.json["reason"].startswith("accounts: Cannot connect to the database") and "not currently " \
            "accepting connections" in down.json["reason"]
        assert client.get("/-/health").status_code == 200  # alive all the same: no restart needed
    finally:
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    assert client.get("/-/ready").status_code == 200
    app.extensions["wiki_store"].close()


def test_ready_is_503_while_the_accounts_file_is_gone(app: Flask, client: FlaskClient) -> None:
    accounts = Path(app.config["USER_DATABASE"])
    accounts.rename(accounts.with_name("moved.sqlite3"))
    answer = client.get("/-/ready")
    assert answer.status_code == 503 and answer.json["checks"]["accounts"] != "ok"
    accounts.unlink(missing_ok=True)  # an empty file other code of the request may have made meanwhile
    accounts.with_name("moved.sqlite3").rename(accounts)
    assert client.get("/-/ready").status_code == 200


def test_a_replica_is_ready_only_while_its_last_fetch_is_recent(tmp_path: Path) -> None:
    from wiki.store.replication import STATE_FILE

    make_app(tmp_path / "instance").extensions["wiki_store"].close()  # content, as if fetched once
    # Its primary is not there, and polled once an hour: only the state file written below says
    # what the fetches did.
    app = create_app({"TESTING": True, "PRIMARY_URL": f"http://127.0.0.1:{free_port()}", "REPLICA_FETCH_SECONDS": 3600,
                      "REPLICA_READY_SECONDS": 30}, instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    never = client.get("/-/ready")
    assert never.status_code == 503 and "has not fetched from its primary yet" in never.json["checks"]["replica"]
    assert never.json["checks"]["repository"] == "ok"
    assert fetch_state(app).last_attempt is None  # and none will start: the next is an hour away
    state = Path(app.config["CONTENT_REPO"]) / STATE_FILE
    state.write_text(json.dumps({"last_success": time.time() - 5, "last_attempt": time.time() - 5, "error": ""}))
    assert client.get("/-/ready").status_code == 200
    assert _total(_families(client.get("/-/metrics").get_data(as_text=True))["wiki_replica_lag_seconds"],
                  "wiki_replica_lag_seconds") >= 5
    state.write_text(json.dumps({"last_success": time.time() - 120, "last_attempt": time.time(),
                                 "error": "fatal: unable to access the primary"}))
    stale = client.get("/-/ready")
    assert stale.status_code == 503
    assert "120 s ago" in stale.json["reason"] and "unable to access" in stale.json["reason"]
    Auth(client).login("admin")
    page = client.get("/-/admin/status").get_data(as_text=True)
    assert "read replica" in page and "fatal: unable to access the primary" in page
    app.extensions["wiki_store"].close()


# --------------------------------------------------------------------------- metrics


def test_metrics_answer_loopback_and_the_token_only(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", METRICS_TOKEN=TOKEN)
    client = app.test_client()
    assert client.get("/-/metrics").status_code == 200  # the test client comes from 127.0.0.1
    outside = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/-/metrics", environ_base=outside).status_code == 403
    assert client.get("/-/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403
    answer = client.get("/-/metrics", environ_base=outside, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain; version=")
    # Through a proxy the wiki does not trust, 127.0.0.1 is the proxy, not the reader.
    assert client.get("/-/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 403
    without_token = make_app(tmp_path / "other").test_client()
    assert without_token.get("/-/metrics", environ_base=outside,
                             headers={"Authorization": "Bearer "}).status_code == 403


def _families(text: str) -> dict[str, list]:
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def _scrape(port: int) -> dict[str, list]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metrics", timeout=20) as answer:
        return _families(answer.read().decode())


def _total(samples: list, name: str, **labels: str) -> float:
    return sum(sample.value for sample in samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


def test_metrics_of_several_workers_add_up_and_a_failed_login_is_one_json_line(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'operations-secret-of-some-length'\n"
                                        "PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\nLOG_FORMAT = 'json'\n")
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("writer", PASSWORD, group="civil-society", role="editor")
    app.extensions["wiki_store"].close()
    with gunicorn(instance, workers=2, log=tmp_path / "gunicorn.log") as served:
        before = _scrape(served.port)
        for _ in range(30):
            assert Browser(served.port).request("GET", "/-/health")[0] == 200
        writer = Browser(served.port)
        writer.login("writer")
        html = writer.request("GET", "/Mandate/-/edit")[2]
        base = html.split('name="base" value="', 1)[1].split('"', 1)[0]
        assert writer.request("POST", "/Mandate/-/edit", {"csrf_token": CSRF_RE.search(html).group(1), "base": base,
                                                          "summary": "s", "text": "# Mandate\n\nCounted.\n"})[0] == 302
        intruder = Browser(served.port)
        token = CSRF_RE.search(intruder.request("GET", "/-/login")[2]).group(1)
        status, headers, _ = intruder.request("POST", "/-/login", {"username": "writer", "password": "wrong",
                                                                   "csrf_token": token})
        assert status == 401
        after = _scrape(served.port)
        log = served.output()
    route = {"route": "operations.health", "method": "GET", "status": "200"}
    # 30 health checks spread over two workers: the scrape (answered by one) counts them all.
    assert _total(after["wiki_http_requests"], "wiki_http_requests_total", **route) - \
        _total(before["wiki_http_requests"], "wiki_http_requests_total", **route) == 30
    assert _total(after["wiki_http_request_duration_seconds"], "wiki_http_request_duration_seconds_count",
                  route="operations.health") >= 30
    assert _total(after["wiki_saves"], "wiki_saves_total") == _total(before["wiki_saves"], "wiki_saves_total") + 1
    assert _total(after["wiki_security_events"], "wiki_security_events_total", event="login_failed") == 1
    assert {"wiki_pushes", "wiki_proposals", "wiki_webhook_deliveries", "wiki_jobs", "wiki_info"} <= set(after)
    assert after["wiki_info"][0].labels == {"version": VERSION, "role": "primary"}
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line.get("event") == "login_failed"]
    assert len(failed) == 1, log
    assert failed[0]["user"] == "writer" and failed[0]["client"] == "127.0.0.1" and failed[0]["level"] == "warning"
    assert failed[0]["request_id"] == headers["X-Request-Id"]


# --------------------------------------------------------------------------- security events


def test_refusals_and_tokens_are_security_events(app: Flask, client: FlaskClient, auth: Auth,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wiki")
    auth.login("reader")
    assert client.get("/Home/-/edit").status_code == 403
    [denied] = events(caplog, "permission_denied")
    assert denied.wiki_fields["user"] == "reader" and denied.wiki_fields["path"] == "/Home/-/edit"
    auth.logout()
    auth.login("editor")
    made = client.post("/-/account/tokens", data={"csrf_token": csrf_token(client, "/-/account/tokens"),
                                                  "name": "laptop", "scope": "read",
                                                  "expires": (date.today() + timedelta(days=30)).isoformat()})
    assert made.status_code == 200
    [created] = events(caplog, "token_created")
    assert created.wiki_fields["user"] == "editor" and created.wiki_fields["name"] == "laptop"
    token_id = created.wiki_fields["token"]
    client.post(f"/-/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/-/account/tokens")})
    [revoked] = events(caplog, "token_revoked")
    assert revoked.wiki_fields["user"] == "editor" and revoked.wiki_fields["token"] == token_id


def test_lockout_is_a_security_event(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    from wiki.users import LOGIN_FAILURE_LIMIT

    for _ in range(LOGIN_FAILURE_LIMIT + 1):
        client.post("/-/login", data={"username": "editor", "password": "wrong", "csrf_token": csrf_token(client)})
    assert len(events(caplog, "login_failed")) == LOGIN_FAILURE_LIMIT
    assert [record.wiki_fields["user"] for record in events(caplog, "login_locked")] == ["editor"]


@pytest.fixture
def wiki(tmp_path: Path):  # noqa: ANN201
    yield from serve(tmp_path)


def test_pushes_accepted_and_refused_are_security_events(wiki: Wiki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wiki")
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed.\n"}, "Push one")
    assert wiki.push(clone).returncode == 0
    wiki.commit(clone, {"Mandate.md": b"\xff\xfe not UTF-8\n"}, "Push two")
    assert wiki.push(clone).returncode != 0
    deadline = time.monotonic() + 10  # logged when the answer's stream ends, in the server's thread
    while len(events(caplog, "push_accepted")) + len(events(caplog, "push_refused")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [accepted], [refused] = events(caplog, "push_accepted"), events(caplog, "push_refused")
    assert accepted.wiki_fields["user"] == "admin" and accepted.wiki_fields["refs"] == "refs/heads/main"
    assert refused.wiki_fields["user"] == "admin" and "refs/heads/main" in refused.wiki_fields["refs"]
    assert "UTF-8" in refused.wiki_fields["reasons"], refused.wiki_fields  # what the push rules told the pusher
    assert refused.wiki_fields["client"] == "127.0.0.1" and len(refused.wiki_fields["request_id"]) == 24


# --------------------------------------------------------------------------- settings, version, status


def test_production_settings_are_warned_about_at_start_and_on_the_first_https_request(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"SECRET_KEY": "short", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "REPLICAS": ["http://127.0.0.1:9"], "TRUSTED_PROXIES": 1}, instance_path=str(tmp_path / "i"))
    warned = {record.wiki_fields["setting"] for record in events(caplog, "settings_warning")}
    assert warned == {"SECRET_KEY", "PASSWORD_HASH_METHOD", "DATABASE_URL"}
    client = app.test_client()
    for _ in range(2):
        client.get("/-/health", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    https = [r for r in events(caplog, "settings_warning") if r.wiki_fields["setting"] == "SECURE_COOKIES"]
    assert len(https) == 1 and https[0].wiki_fields["client"] == "203.0.113.9"
    app.extensions["wiki_store"].close()


def test_a_wrong_log_format_stops_the_app_with_one_line(tmp_path: Path) -> None:
    from wiki.settings import InvalidSetting

    with pytest.raises(InvalidSetting, match="LOG_FORMAT"):
        create_app({"TESTING": True, "LOG_FORMAT": "xml"}, instance_path=str(tmp_path / "i"))


def test_text_log_lines_cannot_be_forged_by_a_user_name(client: FlaskClient, capsys: pytest.CaptureFixture) -> None:
    from wiki.operations.logs import TextFormatter

    record = logging.LogRecord("wiki.security", logging.WARNING, "", 0, "login_failed", (), None)
    record.wiki_fields = {"event": "login_failed", "user": "bob\n2026 WARNING wiki.security: x user=admin"}
    line = TextFormatter().format(record)
    assert "\n" not in line and 'user="bob\\n2026' in line


def test_version_in_the_footer_the_cli_and_the_admin_status(app: Flask, client: FlaskClient, auth: Auth) -> None:
    assert f"Living Wiki {VERSION}" in client.get("/").get_data(as_text=True)
    lines = app.test_cli_runner().invoke(args=["version"]).output.splitlines()
    assert lines[0] == f"Living Wiki {VERSION}" and [line.split()[0] for line in lines[1:]] == \
        ["Python", "Flask", "Werkzeug"]  # what `flask --version` prints, which never loads the wiki
    auth.login("admin")
    page = client.get("/-/admin/status").get_data(as_text=True)
    assert VERSION in page and "primary" in page and "accounts" in page


def test_a_metrics_folder_that_cannot_be_written_costs_the_counts_not_the_requests(tmp_path: Path) -> None:
    env = instance_env(tmp_path / "instance", PROMETHEUS_MULTIPROC_DIR="/proc/no-such-metrics-folder")
    with gunicorn(tmp_path / "instance", workers=1, env=env, log=tmp_path / "gunicorn.log") as served:
        assert Browser(served.port).request("GET", "/Mandate")[0] == 200
        status, _, text = Browser(served.port).request("GET", "/-/metrics")
        log = served.output()
    assert status == 200 and "wiki_info" in _families(text) and "wiki_http_requests" not in _families(text)
    assert "metrics are not counted" in log and "Traceback" not in log
