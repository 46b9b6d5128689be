"""Debian's nginx running deploy/nginx/living-wiki.conf.template, the file docs/operator/deployment.md deploys, with
this test's ports and folders filled in (the ``${NAME}`` values, as envsubst would)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .servers import ROOT, free_port, http_status, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx" / "living-wiki.conf.template"


def render(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The template with every ``${NAME}`` outside comments replaced; a name without a value fails
    (envsubst would silently leave an empty string)."""
    lines = template.read_text().splitlines(keepends=True)
    return "".join(line if line.lstrip().startswith("#") else
                   re.sub(r"\$\{([A-Z][A-Z0-9_]*)\}", lambda match: values[match.group(1)], line) for line in lines)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for the template's TLS lines (the tests speak plain HTTP)."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return certificate, key


@contextmanager
def nginx(folder: Path, primary: int, replica: int | None = None, *, port: int | None = None,
          worker_processes: str = "1", connections: int = 64, access_log: bool = True,
          wait_for_backend: bool = True) -> Iterator[int]:
    """nginx on 127.0.0.1 in front of gunicorn on ``primary`` (and a replica on ``replica``, else the
    primary reads too), its cache, logs and temporary files in ``folder``; yields its port once
    /-/health answers through it (or, without ``wait_for_backend``, once nginx listens). The
    benchmark asks for more workers and connections, no access log, and times the backend itself."""
    if not Path(NGINX).exists():
        raise RuntimeError(f"This needs Debian's nginx ({NGINX}): `make test` installs it (nginx-light).")
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed(folder)
    port = port or free_port()
    (folder / "living-wiki.conf").write_text(render({
        "WIKI_SERVER_NAME": "localhost", "NGINX_LISTEN": f"127.0.0.1:{port}",
        "NGINX_HTTP_LISTEN": f"127.0.0.1:{free_port()}", "TLS_CERTIFICATE": str(certificate),
        "TLS_CERTIFICATE_KEY": str(key), "WIKI_PRIMARY": f"127.0.0.1:{primary}",
        "WIKI_REPLICA": f"127.0.0.1:{replica or primary}", "NGINX_CACHE": str(folder / "cache")}))
    # As root, nginx's workers would switch to an unprivileged user that cannot enter the test's folder.
    user = "user root root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(f"""{user}
daemon off;
worker_processes {worker_processes};
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections {connections}; }}
http {{
  access_log {f"{folder}/access.log" if access_log else "off"};
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fcgi;
  uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  include {folder}/living-wiki.conf;
}}
""")
    process = subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-e",
                                str(folder / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = folder / "error.log"
    try:
        wait_until(lambda: (http_status(f"http://127.0.0.1:{port}/-/health", timeout=5) == 200 if wait_for_backend
                            else _listening(port)),
                   lambda: "nginx did not start: " + (log.read_text(errors="replace") if log.exists() else ""),
                   alive=lambda: process.poll() is None)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
