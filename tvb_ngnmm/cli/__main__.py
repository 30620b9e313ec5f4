"""``python -m tvb_ngnmm.cli``: the ``tvb-ngnmm`` command line."""

import sys

from . import main

sys.exit(main())
