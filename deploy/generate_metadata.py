"""Regenerate deploy/metadata.json (the flex template's parameters) from the pipeline's one options class.

    python -m deploy.generate_metadata          # rewrite deploy/metadata.json
    python -m deploy.generate_metadata --check  # exit 1 when the committed file differs

Every option `ConflictwireOptions` declares becomes a template parameter with its help text; Beam's own
options (--runner, --temp_location, ...) are the launcher's business and are not repeated here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipelines.options import ConflictwireOptions

METADATA_FILE = Path(__file__).resolve().parent / "metadata.json"
TEMPLATE_NAME = "conflictwire"
TEMPLATE_DESCRIPTION = "RSS/Atom news feeds to a table of armed-conflict events (ACLED-style), batch or streaming."
# Options a template run cannot do without: where the feeds are and where the tables go.
REQUIRED = {"feeds", "output"}
# What Dataflow checks before launching. A template runs on workers, so files are gs:// and output gs:// or bq://.
REGEXES = {
    "feeds": [r"^gs://[^/]+/.+$"],
    "output": [r"^(gs://[^/]+/.*|bq://[a-z][a-z0-9.:-]{4,61}[a-z0-9]\.[A-Za-z0-9_]+)$"],
    "run_id": [r"^[A-Za-z0-9_.:-]{1,64}$"],
    "poll_interval": [r"^[0-9]+(\.[0-9]+)?(s|m|h|d)?$"],
    "language_backend": [r"^(auto|langdetect|cld2|langid)$"],
}
_INTEGER = [r"^[0-9]+$"]


def option_actions() -> list[argparse.Action]:
    """The argparse actions ConflictwireOptions adds, in declaration order."""
    parser = argparse.ArgumentParser(add_help=False)
    ConflictwireOptions._add_argparse_args(parser)
    return list(parser._actions)


def parameter(action: argparse.Action) -> dict[str, Any]:
    name = action.dest
    help_text = (action.help or "").replace("%%", "%")
    if action.default not in (None, argparse.SUPPRESS) and "Default" not in help_text:
        help_text += f" Default: {action.default}."
    param: dict[str, Any] = {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "helpText": help_text,
        "isOptional": name not in REQUIRED,
    }
    regexes = REGEXES.get(name) or (_INTEGER if action.type is int else None)
    if regexes:
        param["regexes"] = regexes
    return param


def metadata() -> dict[str, Any]:
    return {
        "name": TEMPLATE_NAME,
        "description": TEMPLATE_DESCRIPTION,
        "streaming": False,  # the scheduled batch; launch with --parameters streaming=true for the streaming job
        "supportsAtLeastOnce": True,
        "supportsExactlyOnce": True,
        "parameters": [parameter(action) for action in option_actions()],
    }


def render() -> str:
    return json.dumps(metadata(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.generate_metadata", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only compare; exit 1 when the file is out of date.")
    args = parser.parse_args(argv)
    if args.check:
        current = METADATA_FILE.read_text(encoding="utf-8") if METADATA_FILE.exists() else ""
        if current != render():
            print(f"{METADATA_FILE} is out of date: run python -m deploy.generate_metadata", file=sys.stderr)
            return 1
        print(f"{METADATA_FILE} up to date")
        return 0
    METADATA_FILE.write_text(render(), encoding="utf-8")
    print(METADATA_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
