"""URL rules whose URL builders are compiled on first use.

Werkzeug compiles two URL-building functions for each rule as the rule is added (Python source
made into code with ``compile``): about 0.3 ms each, 60-90 ms for the wiki's ~150 rules at every
start of a worker (issue 26: the cold start). A worker's first requests build URLs for a few
rules only, so each builder is compiled the first time its rule builds a URL, then kept.
Matching is unchanged: it never uses the builders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A :class:`werkzeug.routing.Rule` that compiles its URL builders when first asked to build."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, /, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads may both compile it once: the same function
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, **values)

        return build
