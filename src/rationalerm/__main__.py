"""`python -m rationalerm ...` runs the command line."""

from rationalerm.cli import main

main()
