"""``python -m skgalvae``: the command line."""

import sys

from .study import main

sys.exit(main())
