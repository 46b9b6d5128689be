"""The WSGI entry point: ``gunicorn wsgi:app``."""

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

# Loading the wiki makes some 60,000 objects that live as long as the process and frees almost
# none: the collector's passes over them while the modules load were ~15 % of a worker's start
# (issue 26: the cold start). It is turned on again below, once they are frozen.
gc.disable()

# Babel finds the local time zone when it is imported: without TZ it reads the name /etc/localtime
# links to and has pytz check each of its ~600 zone names on disk first (~13 ms of every worker's
# start). ":/etc/localtime" is the file the C library reads when TZ is unset, so for this process and
# the git it runs nothing changes; the wiki shows every time in UTC anyway (BABEL_DEFAULT_TIMEZONE).
if "TZ" not in os.environ and os.path.exists("/etc/localtime"):
    os.environ["TZ"] = ":/etc/localtime"

from wiki import create_app, warmup  # noqa: E402 - after the collector is off
from wiki.database import DatabaseUnavailable  # noqa: E402
from wiki.settings import InvalidSetting  # noqa: E402

# gunicorn's Arbiter.WORKER_BOOT_ERROR: a worker that exits with it stops the whole server ("Worker
# failed to boot") instead of being replaced by another that fails the same way, thousands of times.
WORKER_BOOT_ERROR = 3
SIBLING_FAILED = 1  # gunicorn 27 dies with a traceback when a second worker exits 3 while it halts
FAILURE_MARK_SECONDS = 60


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

# A moment after start, off the request path: the search index brought up to date (one process of
# several builds it) and the history and blame of the busiest pages computed (wiki/warmup.py).
warmup.start(app)

# The objects built so far live as long as the process: keep the garbage collector from scanning
# them again and again, and let it run less often. Full collections over the per-process caches
# were the slowest page views (p95 25-45 ms -> 4 ms on the large bench repository). No collection
# first: it took ~50 ms of the cold start to free some 700 objects.
gc.freeze()
gc.set_threshold(50_000, 20, 20)
gc.enable()
