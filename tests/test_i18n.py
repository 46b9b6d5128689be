"""The interface language (issue 13): how it is chosen, the page direction, the language menu,
and dates formatted for the locale."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.errors import N_, Count, InvalidContent, InvalidPageName, set_translator
from wiki.render import bounds
from wiki.store import Author, Store

from .conftest import Auth, csrf_token, make_app
from .support.app import bearer

HTML_RE = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def html_lang(client: FlaskClient, url: str = "/", **headers: str) -> tuple[str, str]:
    match = HTML_RE.search(client.get(url, headers=headers).get_data(as_text=True))
    assert match, "no <html lang dir> on the page"
    return match.group(1), match.group(2)


@pytest.mark.parametrize(("accept", "lang"), [
    ("zh-CN", "zh"), ("zh-TW", "zh"), ("zh-TW,zh;q=0.9,en;q=0.5", "zh"), ("es-419", "es"), ("ar-EG", "ar"),
    ("fr-CA,fr;q=0.8", "fr"), ("ru", "ru"), ("de-DE,de;q=0.9", "en"), ("de, es;q=0.5", "es"), ("", "en"),
])
def test_accept_language_picks_the_language(client: FlaskClient, accept: str, lang: str) -> None:
    assert html_lang(client, **{"Accept-Language": accept})[0] == lang


def test_without_any_choice_the_interface_is_english(client: FlaskClient) -> None:
    assert html_lang(client) == ("en", "ltr")


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("zh", "ltr"), ("fr", "ltr"), ("ru", "ltr"),
                                                 ("es", "ltr"), ("en", "ltr")])
def test_html_carries_lang_and_dir(client: FlaskClient, lang: str, direction: str) -> None:
    client.set_cookie("lang", lang)
    assert html_lang(client, "/Home/-/history") == (lang, direction)


def test_cookie_beats_accept_language(client: FlaskClient) -> None:
    client.set_cookie("lang", "ru")
    assert html_lang(client, **{"Accept-Language": "ar"})[0] == "ru"


def test_unknown_cookie_is_ignored(client: FlaskClient) -> None:
    client.set_cookie("lang", "de")
    assert html_lang(client, **{"Accept-Language": "es"})[0] == "es"


def save_language(client: FlaskClient, language: str):  # noqa: ANN201
    return client.post("/-/account", data={"csrf_token": csrf_token(client, "/-/account"), "language": language})


def test_account_setting_beats_cookie_and_header(client: FlaskClient, app: Flask) -> None:
    Auth(client).login("editor")
    response = save_language(client, "ar")
    assert response.status_code == 302
    assert app.extensions["wiki_users"].by_username("editor").language == "ar"
    client.set_cookie("lang", "fr")
    assert html_lang(client, **{"Accept-Language": "zh"}) == ("ar", "rtl")
    assert 'value="ar" lang="ar" selected' in client.get("/-/account").get_data(as_text=True)
    save_language(client, "")  # no setting: the cookie decides again
    assert html_lang(client, **{"Accept-Language": "zh"})[0] == "fr"


def test_account_refuses_an_unknown_language(client: FlaskClient, app: Flask) -> None:
    Auth(client).login("editor")
    response = save_language(client, "xx")
    assert response.status_code == 400 and "Unknown language" in response.get_data(as_text=True)
    assert app.extensions["wiki_users"].by_username("editor").language == ""


def test_the_language_column_is_added_to_an_older_database(app: Flask) -> None:
    users = app.extensions["wiki_users"]
    import sqlite3
    with sqlite3.connect(users.path) as db:
        db.execute("ALTER TABLE users DROP COLUMN language")
    users.create_schema()
    users.create_schema()  # idempotent
    assert users.by_username("editor").language == ""


def test_language_menu_sets_the_cookie_and_goes_back(client: FlaskClient) -> None:
    response = client.get("/-/language?lang=zh&next=/Home/-/history?p=1")
    assert response.status_code == 302 and response.headers["Location"] == "/Home/-/history?p=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh;") and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert html_lang(client)[0] == "zh"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "/\x00x", ""])
def test_language_menu_refuses_off_site_next(client: FlaskClient, target: str) -> None:
    response = client.get("/-/language", query_string={"lang": "fr", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("lang", ["xx", "de", "EN", "", "zh-CN"])
def test_unknown_language_is_404_naming_the_languages(client: FlaskClient, lang: str) -> None:
    response = client.get("/-/language", query_string={"lang": lang, "next": "/Home"})
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "ar, zh, en, fr, ru, es" in text
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_language_menu_in_every_page_header(client: FlaskClient) -> None:
    for url in ("/", "/Home/-/history", "/-/pages", "/-/login", "/No_such_page"):
        text = client.get(url).get_data(as_text=True)
        assert 'action="/-/language"' in text and '<option value="ar" lang="ar"' in text, url


def test_language_menu_works_on_a_private_wiki(tmp_path) -> None:  # noqa: ANN001
    from .conftest import make_app
    client = make_app(tmp_path / "i", PUBLIC_READ=False).test_client()
    response = client.get("/-/language?lang=es&next=/-/login")
    assert response.status_code == 302 and response.headers["Location"] == "/-/login"
    assert html_lang(client, "/-/login")[0] == "es"


def test_dates_are_formatted_for_the_locale(client: FlaskClient) -> None:
    dates = {}
    for lang in ("en", "fr", "ar", "zh", "ru"):
        client.set_cookie("lang", lang)
        text = client.get("/Home/-/history").get_data(as_text=True)
        match = re.search(r'<time dir="auto" datetime="(\d{4}-\d\d-\d\dT[^"]+)">([^<]+)</time>', text)
        assert match, lang
        dates[lang] = match.group(2)
    assert len(set(dates.values())) == len(dates), dates
    assert re.search(r"\b20\d\d\b", dates["en"]) and "UTC" in dates["en"]


def test_numbers_are_formatted_for_the_locale(app: Flask) -> None:
    from flask_babel import force_locale, format_number
    with app.test_request_context():
        with force_locale("en"):
            assert format_number(1234567) == "1,234,567"
        with force_locale("fr"):
            assert format_number(1234567) != "1,234,567"


def test_domain_errors_are_translated_when_read() -> None:
    error = InvalidPageName(N_("The part %(part)s is not allowed."), part="'..'")
    assert error.message == "The part '..' is not allowed." == str(error)
    set_translator(lambda text: text.replace("The part", "La partie").replace("is not allowed", "est refusée"))
    try:
        assert error.message == "La partie '..' est refusée."
        assert str(error) == "The part '..' is not allowed."  # the log keeps English
    finally:
        set_translator(None)
    assert InvalidPageName("100% literal").message == "100% literal"


def test_varies_on_the_language_inputs(client: FlaskClient) -> None:
    vary = client.get("/").headers.get("Vary", "")
    assert "Accept-Language" in vary and "Cookie" in vary


# One test per kind of English text that once reached readers untranslated (the diff notices are
# in tests/test_diff_bounds.py).

def test_a_store_part_says_it_is_busy_in_the_readers_language(client: FlaskClient, store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A message a store part passes down to the committer is marked with N_ like its errors' own."""
    Auth(client).login("editor")
    monkeypatch.setattr("wiki.store.committer.MAX_CAS_ATTEMPTS", 2)
    monkeypatch.setattr(store.committer, "set_ref", lambda *args, **kwargs: False)  # always a lost swap
    response = client.post("/-/proposals/new", data={"csrf_token": csrf_token(client, "/-/proposals/new"),
                                                     "title": "Busy", "rationale": "Why"},
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert "Les propositions sont modifiées très souvent en ce moment" in response.get_data(as_text=True)


def test_a_notice_inside_cached_html_is_said_in_each_readers_language(client: FlaskClient, store: Store,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A page too complex to format is cached once for every language; its notice is not."""
    author = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    first = store.save_page("Dense", "# Dense\n\nfirst\n", base=store.head(), author=author, summary="").commit
    store.save_page("Dense", "# Dense\n\n**second**\n", base=store.head(), author=author, summary="")
    monkeypatch.setattr(bounds, "WORK_BASE", 0)
    monkeypatch.setattr(bounds, "WORK_PER_CHAR", 0)  # every text is past its budget: shown as written
    french, english = "Cette page est trop complexe pour être mise en forme", "This page is too complex to format"
    for url in ("/Dense", f"/Dense/-/diff?from={first}&view=rendered"):
        for language, notice, other in (("fr", french, english), ("en", english, french), ("fr", french, english)):
            html = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
            assert notice in html and other not in html, (url, language)


def test_words_put_into_a_translated_message_are_translated_too(client: FlaskClient, store: Store) -> None:
    """A value that is itself an English word (a file kind here) is marked and passed as a Term."""
    Auth(client).login("editor")
    png = b"\x89PNG\r\n\x1a\n" + bytes(40)
    response = client.post("/Home/-/attachments", content_type="multipart/form-data",
                           headers={"Accept-Language": "fr"},
                           data={"csrf_token": csrf_token(client), "file": (io.BytesIO(png), "report.pdf")})
    assert response.status_code == 415
    assert "Le contenu du fichier est de type image PNG, mais son nom se termine par" in unescape(
        response.get_data(as_text=True))


@pytest.mark.parametrize(("method", "path", "body", "content_type", "detail"), [
    ("put", "/pages/Home", '{"text": "a", "text": "b"}', "application/json",
     "Le corps nomme le membre 'text' deux fois dans un même objet."),
    ("put", "/pages/Home", "{", "application/json", "Le corps n’est pas du JSON valide en UTF-8 : "),
    ("put", "/pages/Home", "text", "text/plain", "Envoyez le corps en JSON, avec Content-Type: application/json."),
    ("put", "/pages/Home", '{"text": 5}', "application/json",
     "Le corps ne correspond pas à la description de l’API : body.text: "),
    ("get", "/pages?limit=1000", None, None, "Les paramètres de la requête ne correspondent pas à la description"),
], ids=["member-twice", "not-json", "not-json-type", "body-schema", "query-schema"])
def test_api_problems_say_what_is_wrong_in_the_readers_language(app: Flask, client: FlaskClient, method: str,
                                                               path: str, body: str | None,
                                                               content_type: str | None, detail: str) -> None:
    """The API's own checks of a request (wiki/api/validation.py) answer like the views' errors."""
    headers = {**bearer(app), "Accept-Language": "fr", **({"Content-Type": content_type} if content_type else {})}
    response = getattr(client, method)(f"/-/api/v1{path}", data=body, headers=headers)
    assert response.status_code in (400, 415) and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"].startswith(detail)


def test_a_job_that_failed_unexpectedly_says_so_in_the_readers_language(app: Flask, client: FlaskClient,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Python's own text of an unexpected failure is for the log; the reader is told what happened."""
    from wiki.office import exporter

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(exporter, "export", fail)
    response = client.get("/Home/-/export?format=docx", headers={"Accept-Language": "fr"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 500 and "secret internals" not in html and "RuntimeError" not in html
    assert "Le fichier n’a pas pu être produit" in html
    assert "secret internals" in caplog.text  # the operator still learns why
    app.extensions["wiki_jobs"].shutdown()


def test_file_sizes_are_said_in_the_readers_language(tmp_path: Path) -> None:
    """A size is a number and a unit: both formatted for the reader, in lists and in messages."""
    app = make_app(tmp_path / "instance", MAX_ATTACHMENT_BYTES=2048)
    client = app.test_client()
    Auth(client).login("editor")
    client.set_cookie("lang", "fr")

    def upload(data: bytes, name: str):  # noqa: ANN202
        return client.post("/Home/-/attachments", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)})

    assert upload(b"x" * 812, "note.txt").status_code == 302
    listing = client.get("/Home/-/attachments").get_data(as_text=True)
    assert "812\xa0octets" in listing and "2\u202fko" in listing and "bytes" not in listing
    refused = upload(b"x" * 3000, "big.txt")
    assert refused.status_code == 413
    assert "ne peuvent pas dépasser 2\u202fko (2\u202f048 octets)" in unescape(refused.get_data(as_text=True))


def test_quantities_in_messages_are_written_for_the_readers_locale(client: FlaskClient, store: Store) -> None:
    """"20,000" reads as twenty in French: a limit in a message is a Count, written when read."""
    Auth(client).login("editor")
    response = client.post("/Home/-/comments", headers={"Accept-Language": "fr"},
                           data={"csrf_token": csrf_token(client, "/Home"), "kind": "comment", "paragraph": "1",
                                 "text": "x" * 20_001, "rev": store.head()})
    assert response.status_code == 400
    assert "20\u202f000 octets" in unescape(response.get_data(as_text=True))
    assert str(InvalidContent(N_("The text is longer than %(limit)s bytes."), limit=Count(20_000))) == (
        "The text is longer than 20,000 bytes.")  # the English text, for the log
