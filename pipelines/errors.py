"""Errors every command shares, in a module that imports nothing heavy: the CLI imports it before any command."""

from __future__ import annotations


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""
