"""``python -m adapters.cli``: the ``digestbot`` command."""

from adapters.cli import main

main()
