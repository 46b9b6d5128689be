"""Calls for input in the browser (issue 30): the secretariat opens a call with three questions; a
delegate answers it in English or Arabic (a private draft first, then the response, then a change),
and reads the responses by question. Every page passes axe-core; screenshots are kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, expect

from ..support.call_fixtures import open_call, respond, secretariat
from .conftest import PHONE, WIDE, LiveWiki, assert_accessible, login, screenshot, watched_page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_call_opened_answered_and_read_in_the_browser(live: LiveWiki, new_context: Callable[..., BrowserContext],
                                                        language: str) -> None:
    secretariat = watched_page(new_context(viewport=WIDE))
    login(secretariat, live.url, "admin")
    secretariat.goto(f"{live.url}/-/calls")
    secretariat.locator("a.button", has_text="Open a call for input").click()
    secretariat.locator("#title").fill("Mapping of international Internet public policy issues")
    secretariat.locator("#description").fill("Please answer **by the deadline**.")
    secretariat.locator("#deadline").fill((datetime.now(UTC) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    secretariat.locator("#question-0-text").fill("Which gaps do you see?")
    secretariat.locator("#question-1-text").fill("Your stakeholder category")
    secretariat.locator("#question-1-kind").select_option("choice")
    secretariat.locator("#question-1-options").fill("Government\nCivil society\nPrivate sector")
    secretariat.locator("#question-2-text").fill("Which issues matter most?")
    secretariat.locator("#question-2-kind").select_option("choices")
    secretariat.locator("#question-2-options").fill("Access\nSecurity\nHuman rights")
    assert_accessible(secretariat)
    secretariat.get_by_role("button", name="Open the call").click()
    expect(secretariat.locator("h1")).to_have_text("Mapping of international Internet public policy issues")
    call_url = secretariat.url

    delegate = watched_page(new_context(viewport=WIDE))
    login(delegate, live.url, "editor")
    delegate.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    delegate.goto(call_url)
    expect(delegate.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    delegate.locator("#answer-q1").fill("Jurisdiction over cross-border data is unclear.")
    delegate.locator("#answer-q2-2").check()
    delegate.locator("#answer-q3-1").check()
    delegate.locator("#organization").fill("Digital Rights Org")
    assert_accessible(delegate)
    delegate.locator("button[value=draft]").click()
    expect(delegate.locator(".flash-success")).to_be_visible()
    expect(delegate.locator("#answer-q1")).to_have_value("Jurisdiction over cross-border data is unclear.")
    delegate.locator("#consent-aggregate").check()
    delegate.locator("button[value=submit]").click()
    expect(delegate.locator(".flash-success")).to_be_visible()
    assert_accessible(delegate)
    screenshot(delegate, f"call-answered-{language}")
    delegate.locator("#answer-q1").fill("Jurisdiction over cross-border data is unclear; so is access.")
    delegate.locator("button[value=submit]").click()
    expect(delegate.locator(".flash-success")).to_be_visible()

    reader = watched_page(new_context(viewport=WIDE))
    reader.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    reader.goto(f"{call_url}/responses?by=question")
    expect(reader.locator(".call-answer-item")).to_contain_text("so is access.")
    expect(reader.locator("body")).not_to_contain_text("Eda Editor")  # consent: aggregate
    assert_accessible(reader)
    screenshot(reader, f"call-by-question-{language}")
    reader.goto(f"{call_url}/responses?by=question&question=q3")
    expect(reader.locator("table.call-counts")).to_contain_text("Access")
    reader.goto(f"{call_url}/responses?by=respondent")
    expect(reader.locator(".call-response")).to_have_count(1)
    assert_accessible(reader)


def _beside(page, box: str, label: str) -> bool:  # noqa: ANN001
    """Whether the label is on the same line as its box (their vertical extents overlap)."""
    first, second = page.locator(box).bounding_box(), page.locator(label).bounding_box()
    return first["y"] < second["y"] + second["height"] and second["y"] < first["y"] + first["height"]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_call_on_a_phone(live: LiveWiki, new_context: Callable[..., BrowserContext], language: str) -> None:
    """At 390 px: each option beside its box, the question forms' labels above their fields, the
    counts table with its header row (no longer folded into cards like a history), the current tab
    marked, and no page scrolling sideways."""
    call = open_call(live.app, "Mapping of international Internet public policy issues")
    respond(live.app, "editor", call.slug, {"q1": "Jurisdiction is unclear.", "q2": "Civil society",
                                            "q3": ["Access", "Rights"]}, consent="aggregate",
            organization="منظمة الحقوق الرقمية (DRO)")
    secretariat(live.app)
    phone = watched_page(new_context(viewport=PHONE))
    login(phone, live.url, "sec")
    phone.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    phone.goto(f"{live.url}/-/calls/new")
    kind, label = phone.locator("#question-0-kind").bounding_box(), phone.locator("label[for=question-0-kind]")
    assert label.bounding_box()["y"] + label.bounding_box()["height"] <= kind["y"]  # above, not beside
    assert phone.locator("#question-0-text").bounding_box()["height"] < 200  # a question, not a page
    delegate = watched_page(new_context(viewport=PHONE))  # the answer form: the secretariat has none
    login(delegate, live.url, "editor")
    delegate.context.add_cookies([{"name": "lang", "value": language, "url": live.url}])
    delegate.goto(f"{live.url}/-/calls/{call.slug}")
    assert _beside(delegate, "#consent-aggregate", "label[for=consent-aggregate]")
    assert _beside(delegate, "#answer-q3-1", "label[for=answer-q3-1]")
    assert delegate.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(delegate)
    phone.goto(f"{live.url}/-/calls/{call.slug}")
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone)
    phone.goto(f"{live.url}/-/calls/{call.slug}/responses?by=question&question=q3")
    expect(phone.locator("table.call-counts thead th").first).to_be_visible()
    expect(phone.locator("table.call-counts caption")).to_be_visible()
    current = phone.locator(".tabs a[aria-current=page]")
    other = phone.locator(".tabs a:not([aria-current])")
    weight = "e => getComputedStyle(e).fontWeight"
    assert int(current.evaluate(weight)) > int(other.evaluate(weight))
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone)
    phone.goto(f"{live.url}/-/calls/{call.slug}/responses?by=respondent")
    expect(phone.locator(".call-unnamed")).to_be_visible()  # the secretariat sees the name, and not to quote it
    assert_accessible(phone)
    screenshot(phone, f"call-by-respondent-phone-{language}")
