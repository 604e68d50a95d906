"""``python -m rationalerm.cli ...`` runs the command line."""

from . import main

main()
