"""Rendering: Markdown features, wiki links, and hostile input rendered inert."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

import pytest

from wiki import render
from wiki.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, Renderer


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
    html = renderer.render(payload).html
    assert markup_problems(html) == [], (payload, html)
    assert "<script" not in html.lower() and "<style" not in html.lower()


class _Elements(HTMLParser):
    """Every element and attribute of an HTML text, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                self.problems.append(f"<{tag} {name}>")
            compact = "".join(char for char in value or "" if ord(char) > 32).lower()
            if name in ("href", "src") and ":" in compact.split("/", 1)[0].split("#", 1)[0] \
                    and not compact.startswith(("http:", "https:", "mailto:")):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def markup_problems(html: str) -> list[str]:
    """Elements, attributes and URL schemes in ``html`` that the allowlist does not allow."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.problems


RAWTEXT_OPENERS = ["<style>", "<script>", "<textarea>", "<title>", "<xmp>", "<noscript>", "<iframe>",
                   "<noembed>", "<noframes>", "<plaintext>", "<template>", "<svg>", "<math>", "<!--",
                   "<select>", "<object>", "<!DOCTYPE html>", "<![CDATA[", "<?php", '<a href="x',
                   "<div title='", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("opener", RAWTEXT_OPENERS)
@pytest.mark.parametrize("layout", ["{} then\n\nFollowing paragraph words.",
                                    "Inline {} then\n\nFollowing paragraph words.",
                                    "{}\nFollowing paragraph words.",
                                    "- item {} then\n\nFollowing paragraph words."])
def test_unclosed_markup_never_hides_the_text_after_it(renderer: Renderer, opener: str, layout: str) -> None:
    html = renderer.render(layout.format(opener)).html
    assert markup_problems(html) == [], html
    text = "".join(_text_of(html))  # as a reader sees it: text, not inside a tag or comment
    assert "Following paragraph words." in text and ("then" in text or "then" not in layout), html


def _text_of(html: str) -> list[str]:
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    parser.close()
    return parts


@pytest.mark.parametrize("opener", RAWTEXT_OPENERS)
def test_markup_in_code_is_shown_literally(renderer: Renderer, opener: str) -> None:
    html = renderer.render(f"`{opener}` and\n\n```\n{opener}\n```\n\nafter").html
    assert html.count(escape(opener, quote=False)) == 2, html
    assert "after" in html and markup_problems(html) == []


def test_disallowed_markup_is_escaped_not_dropped(renderer: Renderer) -> None:
    html = renderer.render('<style>p{}</style> <b onclick="x()">bold</b> <a href="javascript:x">a</a>\n\nend').html
    assert "&lt;style&gt;p{}&lt;/style&gt;" in html
    assert "<b>bold</b>" in html and "<a>a</a>" in html and "end" in html


def test_unbalanced_tags_are_closed_and_stray_end_tags_dropped(renderer: Renderer) -> None:
    html = renderer.render("<div><em>open\n\n</div></div></span>text").html
    assert html.count("<div>") == html.count("</div>") == 1
    assert html.count("<em>") == html.count("</em>") and "</span>" not in html and "text" in html


def test_too_complex_text_is_shown_as_written_and_cached(renderer: Renderer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render.bounds, "WORK_BASE", 0)
    monkeypatch.setattr(render.bounds, "WORK_PER_CHAR", 0)
    rendered = renderer.render("# Title\n\n<b>x</b> & [[Page]]", cache_key="blob")
    assert rendered.html.startswith('<p class="render-notice">This page is too complex to format')
    assert '<pre class="render-fallback"># Title\n\n&lt;b&gt;x&lt;/b&gt; &amp; [[Page]]</pre>' in rendered.html
    assert rendered.links == frozenset()
    monkeypatch.undo()
    assert renderer.render("# Title", cache_key="blob") is rendered
    assert renderer.render("# Title").html == '<h1 id="title">Title</h1>'  # the instance still works


def test_deep_nesting_is_flattened_not_an_error(renderer: Renderer) -> None:
    for text in (">" * 500 + " deep", "".join("    " * i + "- item\n" for i in range(500)),
                 "> - " * 500 + "deep", "".join("  " * i + "1. item\n" for i in range(500))):
        html = renderer.render(text).html
        assert "render-notice" not in html and ("deep" in html or html.count("item") == 500)
