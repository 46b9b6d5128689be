"""The WSGI entry point: ``gunicorn wsgi:app``."""

import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from wiki import create_app
from wiki.database import DatabaseUnavailable
from wiki.settings import InvalidSetting

# gunicorn's Arbiter.WORKER_BOOT_ERROR: a worker that exits with it stops the whole server ("Worker
# failed to boot") instead of being replaced by another that fails the same way, thousands of times.
WORKER_BOOT_ERROR = 3
SIBLING_FAILED = 1  # gunicorn 27 dies with a traceback when a second worker exits 3 while it halts
FAILURE_MARK_SECONDS = 60
INDEX_BUILD_DELAY_SECONDS = 1.0


def first_to_fail() -> bool:
    """Whether this is the first worker of its server (its parent process) that failed to start, so
    that one worker says why and stops the server, and its siblings exit quietly."""
    mark = Path(tempfile.gettempdir()) / f"living-wiki-boot-failed-{os.getppid()}"
    try:
        if time.time() - mark.stat().st_mtime > FAILURE_MARK_SECONDS:
            mark.unlink()  # left by an earlier server whose process id this one got
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


try:
    app = create_app()
except DatabaseUnavailable as error:  # one clear line for the operator, not a traceback per worker
    if not first_to_fail():
        raise SystemExit(SIBLING_FAILED) from None
    sys.stderr.write(f"Living Wiki cannot start: {error.format_message()}\n")
    raise SystemExit(WORKER_BOOT_ERROR) from None
except InvalidSetting as error:  # the same for a wrong setting: one line naming it, the server stops
    if not first_to_fail():
        raise SystemExit(SIBLING_FAILED) from None
    sys.stderr.write(f"Living Wiki cannot start: {error.code}\n")
    raise SystemExit(WORKER_BOOT_ERROR) from None

# Bring the search index up to date off the request path (one process of several does the work),
# a moment after start so that the first page views do not share the processor with it; a search
# before then starts it at once.
_index_timer = threading.Timer(INDEX_BUILD_DELAY_SECONDS, app.extensions["wiki_search"].build_in_background)
_index_timer.daemon = True
_index_timer.start()

# The objects built so far live as long as the process: keep the garbage collector from scanning
# them again and again, and let it run less often. Full collections over the per-process caches
# were the slowest page views (p95 25-45 ms -> 4 ms on the large bench repository).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)
