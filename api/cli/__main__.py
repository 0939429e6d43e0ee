"""``python -m api.cli``: the ``remiss`` command line."""

from api.cli import main

main()
