"""Cold starts of the wiki on the large bench corpus, interleaved with a Flask hello-world's, so
that the machine's own speed is in the same figures (issue 26). Not a test: it prints medians.

    .venv/bin/python tools/coldstart.py [--starts 7] [--size large] [--keep]

The corpus is made by ``bench/generate.py`` (cached in bench/out/); the instance is rebuilt
unless ``--keep`` reuses the last one (with its compiled templates and search index, as a restart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from generate import HOT_PAGE, cached  # noqa: E402
from parts.common import (  # noqa: E402
    OUT,
    ROOT,
    SIZES,
    build_instance,
    compile_bytecode,
    free_port,
    gunicorn,
    quote,
    wait_for,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--size", default="large")
    parser.add_argument("--keep", action="store_true", help="reuse the last instance")
    args = parser.parse_args()
    compile_bytecode()
    instance = OUT / f"instance-{args.size}"
    if not (args.keep and instance.exists()):
        instance, _ = build_instance(args.size, cached(SIZES[args.size], OUT))
    port = free_port()
    wiki_env = {"WIKI_INSTANCE_PATH": str(instance)}
    hello_env = {"PYTHONPATH": str(ROOT / "bench")}
    wiki, hello = [], []
    for _ in range(args.starts):
        with gunicorn("wsgi:app", port, wiki_env):
            wiki.append(wait_for(port, "/" + quote(HOT_PAGE)) * 1000)
        with gunicorn("hello:app", port, hello_env):
            hello.append(wait_for(port, "/") * 1000)
    print("wiki  ms:", " ".join(f"{value:.0f}" for value in wiki), f"median {statistics.median(wiki):.0f}")
    print("hello ms:", " ".join(f"{value:.0f}" for value in hello), f"median {statistics.median(hello):.0f}")


if __name__ == "__main__":
    main()
