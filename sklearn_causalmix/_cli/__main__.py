"""``python -m sklearn_causalmix._cli``: the ``causalmix`` command."""

import sys

from sklearn_causalmix._cli import main

sys.exit(main())
