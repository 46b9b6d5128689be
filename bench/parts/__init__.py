"""The parts of ``make bench`` (``bench/run.py``), one module per measured part; ``common`` holds
what they share. Importing the package puts the repository and ``bench/`` on the path (the
generators ``generate``, ``languages``, ``proposals`` and ``comments`` live there)."""

import sys
from pathlib import Path

for _path in (str(Path(__file__).resolve().parent.parent.parent), str(Path(__file__).resolve().parent.parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
