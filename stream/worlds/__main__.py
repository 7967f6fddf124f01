"""``python -m stream.worlds``: see ``cli.main``."""

import sys

from .cli import main

sys.exit(main())
