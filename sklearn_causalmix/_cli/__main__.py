"""``python -m sklearn_causalmix._cli``: the ``causalmix`` command."""

from sklearn_causalmix._cli import run

run()
