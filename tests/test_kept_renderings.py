"""Pages' HTML kept for every worker and the next start (``wiki.render.kept``): a second worker
shows a page without rendering it again, and never shows HTML made by other code, for another
address of the wiki, or for want of time on a loaded machine."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from wiki import create_app
from wiki.render import Renderer, kept
from wiki.render.bounds import RenderTooComplex
from wiki.store import Author

from .conftest import make_app

ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")
TEXT = "# Budget\n\nSee [[Mapping/Cybersecurity]] and [[Nowhere Yet]].\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def worker(instance: Path, **config: object) -> Flask:
    """Another process's app on the same instance (a second gunicorn worker, or the next start)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SCHEDULER_SECONDS": 0, **config},
                      instance_path=str(instance))


def renders(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the Markdown conversions ``app``'s renderer makes from now on."""
    made: list[str] = []
    renderer: Renderer = app.extensions["wiki_renderer"]
    original = renderer._markdown

    def counting():  # noqa: ANN202 - the renderer's own triple
        made.append("markdown")
        return original()

    monkeypatch.setattr(renderer, "_markdown", counting)
    return made


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    app = make_app(tmp_path / "instance")
    store = app.extensions["wiki_store"]
    store.save_page("Budget", TEXT, base=store.head(), author=ANN, summary="budget")
    store.close()
    return tmp_path / "instance"


def test_a_second_worker_shows_the_page_without_rendering_it(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = worker(instance)
    shown = first.test_client().get("/Budget").get_data(as_text=True)
    second = worker(instance)
    made = renders(second, monkeypatch)
    again = second.test_client().get("/Budget").get_data(as_text=True)
    assert made == []
    assert again == shown and "<table>" in again
    assert '<a class="wikilink wikilink-missing" href="/Nowhere_Yet">' in again


def test_a_page_written_since_is_not_shown_as_missing(instance: Path) -> None:
    """Whether a linked page exists is applied when read: the kept HTML does not freeze it."""
    worker(instance).test_client().get("/Budget")
    later = worker(instance)
    store = later.extensions["wiki_store"]
    store.save_page("Nowhere_Yet", "Now it is here.\n", base=store.head(), author=ANN, summary="new")
    body = later.test_client().get("/Budget").get_data(as_text=True)
    assert '<a class="wikilink" href="/Nowhere_Yet">' in body and "wikilink-missing" not in body


def test_other_renderer_code_renders_again(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker(instance).test_client().get("/Budget")
    monkeypatch.setattr(kept, "renderer_version", lambda: "an upgraded renderer")
    upgraded = worker(instance)
    made = renders(upgraded, monkeypatch)
    assert upgraded.test_client().get("/Budget").status_code == 200
    assert made == ["markdown"]


def test_another_address_of_the_wiki_renders_its_own_links(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker(instance).test_client().get("/Budget")
    mounted = worker(instance)
    made = renders(mounted, monkeypatch)
    body = mounted.test_client().get("/Budget", environ_overrides={"SCRIPT_NAME": "/wiki"}).get_data(as_text=True)
    assert made == ["markdown"]
    assert 'href="/wiki/Mapping/Cybersecurity"' in body


def test_a_fallback_for_want_of_time_is_not_kept(tmp_path: Path) -> None:
    store = kept.KeptRenderings(tmp_path / "rendered.sqlite3")
    renderer = Renderer(lambda page: f"/{page}", kept=store)
    md, _, _ = renderer._markdown()

    def out_of_time(_text: str) -> str:
        raise RenderTooComplex(out_of_time=True)

    md.convert = out_of_time  # type: ignore[method-assign]
    assert renderer.render("slow text", cache_key="b" * 40).fallback
    assert store.get(store.key("b" * 40, "/Home")) is None


def test_the_file_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "MAX_ROWS", 5)
    monkeypatch.setattr(kept, "PRUNE_EVERY", 1)
    store = kept.KeptRenderings(tmp_path / "rendered.sqlite3")
    for number in range(12):
        store.put(f"key-{number}", f"<p>{number}</p>", frozenset(), False)
    rows = sqlite3.connect(tmp_path / "rendered.sqlite3").execute("SELECT key FROM rendered").fetchall()
    assert len(rows) == 5 and ("key-11",) in rows


def test_a_damaged_file_only_costs_rendering(instance: Path, caplog: pytest.LogCaptureFixture) -> None:
    (instance / "rendered.sqlite3").write_bytes(b"not a database at all" * 100)
    app = worker(instance)
    with caplog.at_level(logging.WARNING, logger="wiki.render.kept"):
        response = app.test_client().get("/Budget")
    assert response.status_code == 200 and "<table>" in response.get_data(as_text=True)
    assert "Kept renderings unreadable" in caplog.text
