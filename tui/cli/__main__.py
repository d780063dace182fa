"""`python -m capslot`: the command line."""

from capslot.cli import entry

entry()
