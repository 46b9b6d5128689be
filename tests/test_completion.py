"""What the visual editor offers while linking (issue 29): page names for ``[[wiki links]]`` and
the page's attachments for its Image and Attachment buttons, from ``/-/complete``."""

from __future__ import annotations

from flask.testing import FlaskClient

from wiki.store import Author, Store

EDA = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")


def test_page_names_and_attachments_are_offered(client: FlaskClient, store: Store) -> None:
    for name in ("Mapping/Gaps", "Gaps_and_needs", "Other/Mapping_gaps_notes"):
        store.save_page(name, "Text.\n", base=store.head(), author=EDA, summary="new")
    store.save_attachment("Mapping/Gaps", "chart.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, author=EDA, summary="up")
    store.save_attachment("Mapping/Gaps", "notes.txt", b"notes\n", author=EDA, summary="up")
    answer = client.get("/-/complete?q=gaps").get_json()
    assert answer["pages"][:2] == ["Gaps_and_needs", "Mapping/Gaps"]  # names that start with it first
    assert "Other/Mapping_gaps_notes" in answer["pages"] and "attachments" not in answer
    assert client.get("/-/complete?q=mapping gaps").get_json()["pages"] == ["Other/Mapping_gaps_notes"]
    with_files = client.get("/-/complete?q=&page=Mapping/Gaps").get_json()
    assert with_files["attachments"] == [{"name": "chart.png", "image": True}, {"name": "notes.txt", "image": False}]
    assert len(with_files["pages"]) <= 20
    assert client.get("/-/complete?page=../../etc").get_json()["attachments"] == []
    assert client.get("/-/complete?page=No_such_page").get_json()["attachments"] == []
