"""``python -m wiki.hooks pre-receive|post-receive``: what git runs for pushes to /content.git."""

import sys

from . import main

sys.exit(main(sys.argv[1:]))
