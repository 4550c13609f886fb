"""Flex-template entry point: the launcher runs this file with the template parameters as --name=value."""

from __future__ import annotations

import sys

from pipelines.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
