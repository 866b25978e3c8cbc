"""``python -m balanskonto.cli``: the same as the ``balanskonto`` command."""

import sys

from . import main

sys.exit(main())
