"""Rendering: Markdown features, wiki links, and hostile input rendered inert."""

from __future__ import annotations

import pytest

from wiki.render import Renderer


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(lambda page: "/" + page)


def test_markdown_features(renderer: Renderer) -> None:
    html = renderer.render(
        "[TOC]\n\n# Title\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n```python\ndef f():\n    pass\n```\n\n"
        "Text[^1].\n\n[^1]: A note.\n"
    ).html
    assert '<h1 id="title">Title</h1>' in html
    assert '<div class="toc">' in html
    assert "<table>" in html and '<td align="right">2</td>' in html
    assert '<div class="highlight">' in html and '<span class="k">def</span>' in html
    assert 'class="footnote-ref"' in html and 'id="fn:1"' in html


def test_wiki_links(renderer: Renderer) -> None:
    rendered = renderer.render("See [[Mapping/Cybersecurity]], [[Working modalities|the modalities]] "
                               "and [[Nowhere]] and [[bad|]] and [[a/../b]].")
    assert '<a class="wikilink" href="/Mapping/Cybersecurity">Mapping/Cybersecurity</a>' in rendered.html
    assert '<a class="wikilink" href="/Working_modalities">the modalities</a>' in rendered.html
    assert rendered.links == {"Mapping/Cybersecurity", "Working_modalities", "Nowhere"}
    assert "[[bad|]]" in rendered.html  # an empty label is not a link
    assert '<span class="wikilink-invalid">[[a/../b]]</span>' in rendered.html
    marked = renderer.mark_missing(rendered, {"Nowhere"})
    assert '<a class="wikilink wikilink-missing" href="/Nowhere">Nowhere</a>' in marked
    assert '<a class="wikilink" href="/Mapping/Cybersecurity">' in marked


def test_render_cache_is_keyed_by_blob(renderer: Renderer) -> None:
    first = renderer.render("one", cache_key="blob1")
    assert renderer.render("ignored: same blob id", cache_key="blob1") is first
    assert renderer.render("two", cache_key="blob2").html == "<p>two</p>"


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=//evil></iframe>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<div onclick="alert(1)">x</div>',
        "<object data=x></object><embed src=x>",
        '<form action="//evil"><input name=x></form>',
        "<style>body{display:none}</style>",
        "<meta http-equiv=refresh content='0;url=//evil'>",
        "[[<script>alert(1)</script>]]",
        "[[Page|<img src=x onerror=alert(1)>]]",
        '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
        "<base href=//evil/>",
        '<a href="vbscript:msgbox(1)">x</a>',
    ],
)
def test_hostile_markdown_renders_inert(renderer: Renderer, payload: str) -> None:
    html = renderer.render(payload).html.lower()
    for forbidden in ("<script", "<iframe", "<svg", "<object", "<embed", "<form", "<style", "<meta", "<base",
                      "onerror=", "onload=", "onclick=", "javascript:", "vbscript:", "data:", "style="):
        assert forbidden not in html, (payload, html)
