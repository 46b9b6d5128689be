"""Fixtures: an app on a temporary instance per test, its client and CLI runner, and logins.
The helpers themselves live in tests/support/ (imported here so that existing imports keep working)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from wiki.store import Store

pytest.register_assert_rewrite("tests.support")  # their asserts explain themselves, as a test's do

from .support.app import (  # noqa: E402, F401 - re-exported for the tests that import them from here
    CSRF_RE,
    PASSWORD,
    USERS,
    Auth,
    csrf_token,
    edit_form,
    git,
    make_app,
    save,
    seeded_store,
)
from .support.mail import smtp  # noqa: E402, F401 - a real SMTP server on 127.0.0.1, for the mail tests
from .support.postgres import backend, postgres_socket, postgres_url  # noqa: E402, F401 - fixtures for all
from .support.webhooks import hooked_app  # noqa: E402, F401 - a wiki whose webhooks retry fast


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance")
    yield app
    app.extensions["wiki_store"].close()


@pytest.fixture
def store(app: Flask) -> Store:
    return app.extensions["wiki_store"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
