"""Profile one URL of a bench instance in-process with pyinstrument (run ``make bench`` first).

    .venv/bin/python bench/profile.py large /Mapping/Cybersecurity/-/history --after-commit
    .venv/bin/python bench/profile.py languages /-/translations --after-commit   (run.py --only languages)
    .venv/bin/python bench/profile.py proposals "/-/proposals?page=Standards/Interoperability" --after-commit -n 5

``--after-commit`` changes another page from outside before each request, as the bench does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyinstrument import Profiler  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.store import Author, Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size", choices=["small", "large", "untrailered", "languages", "proposals"])
    parser.add_argument("url")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--after-commit", action="store_true")
    parser.add_argument("--all", action="store_true", help="show library frames too (flask, jinja2, werkzeug...)")
    args = parser.parse_args()
    instance = ROOT / "bench" / "out" / f"instance-{args.size}"
    app = create_app(instance_path=str(instance))
    client = app.test_client()
    outside = Store(instance / "content.git")
    author = Author(name="Outside", email="outside@example.org", username="outside", group="governments")
    pages = [p for p in outside.list_pages() if not p.startswith("Mapping/")][:50]
    client.get(args.url)
    profiler = Profiler(interval=0.0005)
    elapsed = 0.0
    for index in range(args.n):
        if args.after_commit:
            page = pages[index % len(pages)]
            outside.save_page(page, outside.read_page(page).text + f"\nProfiled {time.time_ns()}\n",
                              base=outside.head(), author=author, summary="profile")
        profiler.start()
        started = time.perf_counter()
        response = client.get(args.url)
        elapsed += time.perf_counter() - started
        profiler.stop()
        assert response.status_code == 200, response.status_code
    print(profiler.output_text(unicode=True, show_all=args.all))
    print(f"mean {elapsed / args.n * 1000:.2f} ms over {args.n} requests")


if __name__ == "__main__":
    main()
