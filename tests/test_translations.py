"""Language versions of pages (issue 13, parts 2 and 3): created in the editor, read by language,
outdated when the original changes, up to date again when the translator confirms, carried by a
rename, and told the same way by plain git."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.errors import InvalidPageName, PageNotFound
from wiki.names import normalize_page_name
from wiki.store import Author, Store

from .conftest import CSRF_RE, Auth, git, save

PAGE = "Mandate"
ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")


def translate(client: FlaskClient, page: str, language: str, text: str, *, follows: bool = True, base: str = ""):  # noqa: ANN201
    html = client.get(f"/{page}/-/edit?lang={language}").get_data(as_text=True)
    token = CSRF_RE.search(html)
    assert token, html[:300]
    data = {"csrf_token": token.group(1), "text": text, "summary": "", "base": base}
    if follows:
        data["follows"] = "1"
    if not base:
        data["base"] = html.split('name="base" value="', 1)[1].split('"', 1)[0]
    return client.post(f"/{page}/-/edit?lang={language}", data=data)


@pytest.fixture
def editor(client: FlaskClient, auth: Auth) -> FlaskClient:
    auth.login("editor")
    return client


def test_a_version_is_a_file_beside_its_page_recording_its_source(editor: FlaskClient, store: Store) -> None:
    before = store.head()
    response = translate(editor, PAGE, "fr", "# Mandat\n\nLe texte en français.\n")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{PAGE}?lang=fr")
    original = git(store.path, "rev-parse", f"main:{PAGE}.md").strip()
    stored = git(store.path, "show", f"main:{PAGE}.fr.md")
    assert stored.startswith(f"---\nsource-commit: {before}\nsource-blob: {original}\n---\n\n# Mandat\n")
    html = editor.get(f"/{PAGE}?lang=fr").get_data(as_text=True)
    assert "Le texte en français." in html and "It follows the current original." in html
    assert "source-blob" not in html  # the header is for git, not for readers
    assert 'lang="fr"' in html


def test_the_reader_gets_their_language_else_the_original_with_the_languages_available(
        editor: FlaskClient, app: Flask) -> None:
    translate(editor, PAGE, "es", "# Mandato\n\nEl texto en español.\n")
    reader = app.test_client()
    english = reader.get(f"/{PAGE}").get_data(as_text=True)
    assert "El texto en español." not in english and "Also in:" in english and f"/{PAGE}?lang=es" in english
    reader.set_cookie("lang", "es")
    assert "El texto en español." in reader.get(f"/{PAGE}").get_data(as_text=True)
    assert "El texto en español." not in reader.get(f"/{PAGE}?lang=en").get_data(as_text=True)
    missing = reader.get(f"/{PAGE}?lang=ru").get_data(as_text=True)
    assert "no version in Русский" in missing or "Русский" in missing
    browser = app.test_client()
    html = browser.get(f"/{PAGE}", headers={"Accept-Language": "es-419,es;q=0.9"}).get_data(as_text=True)
    assert "El texto en español." in html


def test_outdated_after_the_original_changes_and_up_to_date_when_confirmed(editor: FlaskClient, store: Store) -> None:
    translate(editor, PAGE, "fr", "# Mandat\n\nTexte.\n")
    source = git(store.path, "rev-parse", "main^").strip()  # the original as the translator read it
    assert save(editor, PAGE, store.read_page(PAGE).text + "\nA new paragraph in the original.\n").status_code == 302
    html = editor.get(f"/{PAGE}?lang=fr").get_data(as_text=True)
    assert "The original has changed since this version was translated." in html
    assert f"from={source}" in html  # the diff of the original since the translated revision
    states = {state.language: state.state for state in store.version_states(PAGE)}
    assert states["fr"] == "outdated" and states["ru"] == "missing"
    listing = editor.get(f"/{PAGE}/-/translations").get_data(as_text=True)
    assert "outdated" in listing and "What changed in the original" in listing
    # A fix that does not claim to follow the new original keeps the old source.
    translate(editor, PAGE, "fr", "# Mandat\n\nTexte corrigé.\n", follows=False)
    assert {s.language: s.state for s in store.version_states(PAGE)}["fr"] == "outdated"
    translate(editor, PAGE, "fr", "# Mandat\n\nTexte.\n\nUn nouveau paragraphe.\n", follows=True)
    assert {s.language: s.state for s in store.version_states(PAGE)}["fr"] == "up to date"


def test_the_whole_document_by_language_with_counts_and_filters(editor: FlaskClient, store: Store) -> None:
    translate(editor, PAGE, "fr", "Mandat\n")
    translate(editor, "Mapping/Cybersecurity", "zh", "网络安全\n")
    html = editor.get("/-/translations").get_data(as_text=True)
    assert "Mapping/Cybersecurity" in html and "中文" in html
    pages = len(store.list_pages())
    overview = store.translation_overview()
    assert len(overview) == pages * 5
    assert sum(1 for state in overview if state.state == "up to date") == 2
    filtered = editor.get("/-/translations?lang=zh&section=Mapping").get_data(as_text=True)
    assert "Mapping/Cybersecurity" in filtered and f">{PAGE}<" not in filtered
    assert '<th scope="col" lang="zh">' in filtered and '<th scope="col" lang="fr">' not in filtered
    response = editor.get("/-/translations?lang=xx")
    assert response.status_code == 404 and "ar, zh, en, fr, ru, es" in response.get_data(as_text=True)


def test_renaming_a_page_renames_its_versions_in_the_same_commit(editor: FlaskClient, store: Store) -> None:
    translate(editor, PAGE, "ar", "# الولاية\n\nنص.\n")
    store.rename_page(PAGE, "The_Mandate", author=ANN)
    files = git(store.path, "show", "--name-status", "--format=", "main").split("\n")
    assert "R100\tMandate.ar.md\tThe_Mandate.ar.md" in files or \
        {"D\tMandate.ar.md", "A\tThe_Mandate.ar.md"} <= set(files) or any("The_Mandate.ar.md" in f for f in files)
    assert git(store.path, "ls-tree", "--name-only", "main", "The_Mandate.ar.md").strip() == "The_Mandate.ar.md"
    assert {s.language: s.state for s in store.version_states("The_Mandate")}["ar"] == "up to date"
    store.delete_page("The_Mandate", author=ANN)
    assert git(store.path, "ls-tree", "--name-only", "main", "The_Mandate.ar.md").strip() == ""
    assert store.check() == []


def test_history_diff_and_blame_of_a_version(editor: FlaskClient, store: Store) -> None:
    translate(editor, PAGE, "fr", "# Mandat\n\nPremière phrase.\n")
    translate(editor, PAGE, "fr", "# Mandat\n\nPremière phrase.\n\nDeuxième phrase.\n")
    history = editor.get(f"/{PAGE}/-/history?lang=fr").get_data(as_text=True)
    assert history.count("Mandate (fr)") >= 2 and "lang=fr" in history
    diff = editor.get(f"/{PAGE}/-/diff?lang=fr").get_data(as_text=True)
    assert "Deuxième phrase." in diff
    blame = editor.get(f"/{PAGE}/-/blame?lang=fr")
    assert blame.status_code == 200 and "Première phrase." in blame.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/Mandate?lang=xx", "/Mandate/-/history?lang=de", "/Mandate/-/edit?lang=EN"])
def test_an_unknown_language_is_a_404_naming_the_languages(editor: FlaskClient, url: str) -> None:
    response = editor.get(url)
    assert response.status_code == 404 and "ar, zh, en, fr, ru, es" in response.get_data(as_text=True)


def test_a_translation_of_a_page_that_does_not_exist_is_refused(editor: FlaskClient, store: Store) -> None:
    assert editor.get("/No_such_page/-/edit?lang=fr").status_code == 404
    with pytest.raises(PageNotFound):
        store.save_version("No_such_page", "fr", "texte\n", follows_original=True, base=None, author=ANN, summary="")
    assert git(store.path, "ls-tree", "-r", "--name-only", "main").count(".fr.md") == 0


@pytest.mark.parametrize("name", ["Report.fr", "Mapping/Notes.ZH", "x.es"])
def test_page_names_cannot_look_like_a_version(name: str) -> None:
    with pytest.raises(InvalidPageName):
        normalize_page_name(name)


def test_page_names_may_contain_a_language_code_elsewhere() -> None:
    assert normalize_page_name("fr.Report") == "fr.Report"
    assert normalize_page_name("Report.french") == "Report.french"


def test_pushed_versions_are_checked_like_pages_and_need_their_page(tmp_path) -> None:  # noqa: ANN001
    from .support.git_http import serve

    for wiki in serve(tmp_path):
        clone = wiki.clone()
        wiki.commit(clone, {"Mandate.fr.md": "---\nsource-commit: x\n---\n\nMandat poussé.\n".encode()}, "fr")
        assert wiki.push(clone).returncode == 0
        assert {s.language: s.state for s in wiki.store.version_states("Mandate")}["fr"] == "outdated"
        wiki.commit(clone, {"Nowhere.ru.md": "Нигде.\n".encode()}, "orphan")
        before = wiki.store.head()
        result = wiki.push(clone)
        assert result.returncode != 0 and "Nowhere.ru.md" in result.stderr and "does not exist" in result.stderr
        assert wiki.store.head() == before


def test_flask_check_reports_a_version_without_its_page(store: Store) -> None:
    from wiki.store.committer import Plan

    store.committer.commit_to_ref(store.ref, lambda tip: Plan({"Ghost.fr.md": b"Fantome\n"}, "orphan"), author=ANN)
    assert store.check() == ["Ghost.fr.md: a language version of 'Ghost', which does not exist"]


def test_reading_a_version_links_its_own_history_and_editor(editor: FlaskClient) -> None:
    translate(editor, PAGE, "ru", "# Мандат\n\nТекст.\n")
    html = editor.get(f"/{PAGE}?lang=ru").get_data(as_text=True)
    assert f'href="/{PAGE}/-/edit?lang=ru"' in html and f'href="/{PAGE}/-/history?lang=ru"' in html
    assert f'href="/{PAGE}/-/edit"' not in html
    assert f'href="/{PAGE}/-/edit"' in editor.get(f"/{PAGE}?lang=en").get_data(as_text=True)


def test_the_overview_follows_each_commit_incrementally_and_pages_its_rows(editor: FlaskClient, store: Store,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiki.views.translations.ROWS_PER_PAGE", 2)
    first = store.translation_overview()
    assert all(state.state == "missing" for state in first)
    translate(editor, PAGE, "fr", "Mandat\n")
    calls: list[str] = []
    original = store.translations.states
    monkeypatch.setattr(store.translations, "states",
                        lambda page, commit: calls.append(page) or original(page, commit))
    save(editor, PAGE, store.read_page(PAGE).text + "\nMore.\n")
    after = {(s.page, s.language): s.state for s in store.translation_overview()}
    assert calls == [PAGE] and after[(PAGE, "fr")] == "outdated"  # only the changed page looked at again
    html = editor.get("/-/translations").get_data(as_text=True)
    assert "Pages 1 to 2 of" in html and 'rel="next"' in html
    assert editor.get("/-/translations?p=999").status_code == 404


def test_anonymous_views_in_a_language_are_cached_by_language(editor: FlaskClient, app: Flask) -> None:
    translate(editor, PAGE, "zh", "# 任务\n\n中文文本。\n")
    reader = app.test_client()
    assert "中文文本。" in reader.get(f"/{PAGE}?lang=zh").get_data(as_text=True)
    assert "中文文本。" not in reader.get(f"/{PAGE}?lang=en").get_data(as_text=True)
    assert "中文文本。" in reader.get(f"/{PAGE}?lang=zh").get_data(as_text=True)
    keys = list(app.extensions["wiki_view_cache"]._items)  # noqa: SLF001
    assert {key[3] for key in keys if key[1] == f"/{PAGE}"} >= {"zh", "en"}


def test_search_finds_text_in_every_language_and_can_keep_to_one(editor: FlaskClient) -> None:
    translate(editor, PAGE, "fr", "# Mandat\n\nLa coopération renforcée des parties prenantes.\n")
    translate(editor, PAGE, "zh", "# 任务\n\n加强合作。\n")
    everywhere = editor.get("/-/search?q=coopération").get_data(as_text=True)
    assert f'href="/{PAGE}?lang=fr"' in everywhere and "Français" in everywhere
    assert f'href="/{PAGE}?lang=zh"' in editor.get("/-/search?q=加强合作").get_data(as_text=True)
    only_chinese = editor.get("/-/search?q=coopération&lang=zh").get_data(as_text=True)
    assert f'href="/{PAGE}?lang=fr"' not in only_chinese
    english = editor.get("/-/search?q=mandate&lang=en").get_data(as_text=True)
    assert f'href="/{PAGE}"' in english and "?lang=fr" not in english
    assert editor.get("/-/search?q=x&lang=xx").status_code == 404
