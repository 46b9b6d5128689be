"""Lay out an HTML file as PDF with WeasyPrint: ``python -I pdf_worker.py IN.html OUT.pdf [CSS...]``.

Started by :func:`wiki.office.convert.html_to_pdf` under the limits of ``limited.py``, so a large or
hostile document costs this process, never the wiki worker. Nothing is fetched: only ``data:``
URLs (the page's attachments, inlined by the caller) are read. Prints its peak resident memory
(bytes) on the last line of standard output, for the benchmark.
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> None:
    source, target, *stylesheets = argv
    import weasyprint  # imported here so a usage error costs nothing

    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    css = [weasyprint.CSS(filename=path, url_fetcher=fetcher) for path in stylesheets]
    document = weasyprint.HTML(filename=source, url_fetcher=fetcher, base_url=source)
    document.write_pdf(target, stylesheets=css, uncompressed_pdf=False)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


if __name__ == "__main__":
    main(sys.argv[1:])
