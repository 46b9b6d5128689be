"""Template filters and globals, so templates stay free of logic."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app

from .auth import can
from .names import page_title


def group_name(slug: str) -> str:
    """A stakeholder group's display name; an unknown slug (from a push, say) shows as itself."""
    if not slug:
        return "no group"
    return current_app.config["GROUPS"].get(slug, slug)


def format_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def init_app(app: Flask) -> None:
    app.add_template_filter(group_name, "group_name")
    app.add_template_filter(format_time, "datetime")
    app.add_template_filter(iso_time, "isotime")
    app.add_template_filter(page_title, "page_title")
    app.add_template_global(can, "can")
