"""Proposals under gunicorn with several workers (issue 14): five groups' reviewers endorse at once,
two proposals are merged at once while an editor saves to main, and nothing is lost."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from wiki import create_app
from wiki.store import Author
from wiki.users import DEFAULT_GROUPS

from .conftest import CSRF_RE, PASSWORD
from .support.browser import Browser
from .support.servers import gunicorn


@pytest.fixture
def wiki(tmp_path: Path):  # noqa: ANN201
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'proposals-secret'\n"
                                        "PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n", encoding="utf-8")
    app = create_app(instance_path=str(instance))
    users = app.extensions["wiki_users"]
    for group in DEFAULT_GROUPS:
        users.create(f"rev-{group}", PASSWORD, group=group, role="reviewer", display_name=f"Reviewer {group}")
    users.create("boss", PASSWORD, group="governments", role="admin", display_name="Boss")
    users.create("writer", PASSWORD, group="civil-society", role="editor", display_name="Writer")
    store = app.extensions["wiki_store"]
    author = Author(name="Drafter", email="d@example.org", username="writer", group="civil-society")
    numbers = []
    for index, page in enumerate(("Mandate", "Questionnaire", "Working_modalities")):
        number = store.proposals.create(f"Proposal on {page}", "", author=author).number
        store.proposals.pages_of(number).save_page(page, store.read_page(page).text + f"\nProposed {index}.\n",
                                                   base=store.head(), author=author, summary="draft")
        numbers.append(number)
    store.close()
    with gunicorn(instance, workers=3, log=tmp_path / "gunicorn.log", args=("--timeout", "60"),
                  ready="/-/proposals") as served:
        yield served.port, app, numbers


def test_endorsements_merges_and_saves_at_once_lose_nothing(wiki) -> None:  # noqa: ANN001
    port, app, (first, second, third) = wiki
    store = app.extensions["wiki_store"]
    head = store.proposals.get(third).head
    statuses: list[tuple[str, int]] = []
    lock = threading.Lock()

    def act(user: str, method: str, path: str, form: dict[str, str]) -> None:
        browser = Browser(port)
        browser.login(user)
        page = browser.request("GET", f"/-/proposals/{third}")[2]
        status = browser.request(method, path, {**form, "csrf_token": CSRF_RE.search(page).group(1)})[0]
        with lock:
            statuses.append((f"{user} {path}", status))

    def save(user: str) -> None:
        browser = Browser(port)
        browser.login(user)
        html = browser.request("GET", "/Home/-/edit")[2]
        base = re.search(r'name="base" value="([0-9a-f]*)"', html).group(1)
        form = {"csrf_token": CSRF_RE.search(html).group(1), "base": base, "summary": "s",
                "text": "# Home\n\nSaved while merging.\n"}
        status = browser.request("POST", "/Home/-/edit", form)[0]
        with lock:
            statuses.append((f"{user} save", status))

    jobs = [threading.Thread(target=act, args=(f"rev-{group}", "POST", f"/-/proposals/{third}/endorse",
                                              {"action": "endorse", "rev": head})) for group in DEFAULT_GROUPS]
    jobs += [threading.Thread(target=act, args=("boss", "POST", f"/-/proposals/{number}/merge",
                                                {"reason": "Merged at once"})) for number in (first, second)]
    jobs.append(threading.Thread(target=save, args=("writer",)))
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=120)
    assert len(statuses) == len(jobs) and all(status == 302 for _, status in statuses), statuses
    store.reader.close()
    assert {p.group for p in store.proposals.get(third).positions} == set(DEFAULT_GROUPS)
    assert store.proposals.consensus(store.proposals.get(third), tuple(DEFAULT_GROUPS)).holds
    assert [store.proposals.get(n).state for n in (first, second)] == ["merged", "merged"]
    assert "Proposed 0." in store.read_page("Mandate").text and "Proposed 1." in store.read_page("Questionnaire").text
    assert store.read_page("Home").text == "# Home\n\nSaved while merging.\n"
    ok, report = store.fsck()
    assert ok, report
