"""XML from uploaded office files, read safely, with lxml imported when first needed.

Importing lxml is 30-50 ms of every worker's start (issue 26: the cold start), and only reading
and writing office files needs it; so the modules that read uploads import it on first use, and
type-check against it only. Entities are never resolved, nothing is fetched from the network and
huge trees are refused. lxml's parsers are not safe to share between threads: one per thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

_local = threading.local()


def parse(data: bytes) -> etree._Element:
    """The root element of ``data``; lxml's ``XMLSyntaxError`` if it is not well-formed XML."""
    from lxml import etree

    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)
