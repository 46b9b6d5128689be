"""Calls for input for tests (issue 30): a secretariat account, a call of three questions (text,
choice, choices), and responses sent through the actions as a given user would send them."""

from __future__ import annotations

import time

from flask import Flask

from wiki.actions import calls
from wiki.actions.context import Actor
from wiki.store.call_model import Call, Response

from .app import PASSWORD

QUESTIONS = [
    {"text": "What should the mapping cover next?", "kind": "text"},
    {"text": "Your stakeholder category", "kind": "choice", "options": ["Government", "Business", "Civil society"]},
    {"text": "Which issues matter most?", "kind": "choices", "options": ["Access", "Security", "Rights"]},
]


def secretariat(app: Flask, username: str = "sec") -> Actor:
    """An editor of the secretariat group (who runs calls), created once."""
    users = app.extensions["wiki_users"]
    group = app.config["SECRETARIAT_GROUP"]
    if users.by_username(username) is None:
        users.create(username, PASSWORD, group=group, role="editor", display_name="Sue Secretariat",
                     email=f"{username}@example.org")
    return Actor(username=username, display_name="Sue Secretariat", email=f"{username}@example.org", group=group,
                 role="editor")


def actor(app: Flask, username: str) -> Actor:
    user = app.extensions["wiki_users"].require(username)
    return Actor(username=user.username, display_name=user.display_name, email=user.commit_email, group=user.group,
                 role=user.role)


def open_call(app: Flask, title: str = "Questionnaire on the mapping", *, questions: list[dict] | None = None,
              deadline: int | None = None) -> Call:
    with app.test_request_context():
        return calls.create(secretariat(app), title=title, description="Tell us *what* you think.",
                            questions=questions or QUESTIONS, deadline=deadline or int(time.time()) + 7 * 86400)


def respond(app: Flask, username: str, slug: str, answers: dict[str, object], *, consent: str = "cite",
            organization: str = "", language: str = "en") -> Response:
    with app.test_request_context():
        saved, _changed = calls.submit(calls.Respondent(actor(app, username)), slug, answers=answers,
                                       consent=consent, organization=organization, language=language)
    return saved
