"""The end-to-end study and the command line (layer 5)."""

from ._cli import main

__all__ = ["main"]
