"""One user's cookie jar over http.client, for wikis served by other processes (gunicorn, nginx)."""

from __future__ import annotations

import http.client
from urllib.parse import quote, urlencode

from .app import CSRF_RE, PASSWORD


class Browser:
    """One user's cookie jar over http.client; redirects are not followed (their target is checked)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, quote(path, safe="/?=&-_.~%"), body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, dict(response.headers), text
        finally:
            connection.close()

    def login(self, username: str, password: str = PASSWORD) -> None:
        _, _, html = self.request("GET", "/-/login")
        token = CSRF_RE.search(html).group(1)
        status, _, _ = self.request("POST", "/-/login", {"username": username, "password": password,
                                                         "csrf_token": token})
        assert status == 302, f"login of {username} failed: {status}"
