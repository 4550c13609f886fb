"""The `conflictwire` command: run (feeds to Parquet), analyze (documents to events), demo (offline sample)."""

from __future__ import annotations

import argparse
import logging
import sys

from pipelines.errors import UsageError
from pipelines.results import RunFailed

# Apache Beam (about 2 s to import) is imported by the commands that run a pipeline, not here: `analyze` needs none.

USAGE = """conflictwire <command> [options]

commands:
  run      poll feeds, fetch and analyse new articles, write Parquet (or BigQuery)
           conflictwire run --feeds FILE --output DIR [--allow-host HOST]... [Beam options]
           conflictwire run --streaming --poll-interval 15m [--max-polls N] --feeds FILE --output DIR ...
           conflictwire run ... --runner DataflowRunner --project P --region R --temp_location gs://B/tmp --dry_run
  analyze  the same analysis per document, without feeds
           conflictwire analyze --input F.jsonl --output F.jsonl   (- for stdin/stdout)
  demo     serve the bundled offline sample on 127.0.0.1 and run the pipeline on it
           conflictwire demo [--output DIR]
  report   one self-contained HTML file (map, timeline, table, claims, feed health) from a run's output
           conflictwire report --input DIR --output report.html [--since YYYY-MM-DD] [--country CC]...
  export   events as an ACLED-style CSV, GeoJSON or PLOVER-style JSON lines
           conflictwire export --input DIR --format acled-csv|geojson|plover --output FILE [--since ...]
"""


def _run(argv: list[str]) -> int:
    from pipelines.results import print_written
    from pipelines.run import dataflow_dry_run, dry_run_requested, print_counters, run_batch

    if any(a in ("-h", "--help") for a in argv):
        from pipelines.options import ConflictwireOptions

        parser = argparse.ArgumentParser(prog="conflictwire run")
        ConflictwireOptions._add_argparse_args(parser)
        parser.print_help()
        print("\nAny Apache Beam pipeline option is accepted as well (--runner, --streaming, ...).")
        return 0
    if dry_run_requested(argv):
        import json

        print(json.dumps(dataflow_dry_run(argv), indent=2, default=str))
        return 0
    if "--streaming" in argv:
        from pipelines.streaming import run_streaming

        result = run_streaming(argv)
    else:
        result = run_batch(argv)
    print(f"run {result.run_id} finished in {result.seconds:.1f}s, output in {result.output}")
    print_counters(result.counters)
    print_written(result.written)
    return 0


def _analyze(argv: list[str]) -> int:
    from pipelines.analyze import main as analyze_main

    return analyze_main(argv)


def _demo(argv: list[str]) -> int:
    from pipelines.demo import main as demo_main

    return demo_main(argv)


def _report(argv: list[str]) -> int:
    from pipelines.report import main as report_main

    return report_main(argv)


def _export(argv: list[str]) -> int:
    from pipelines.export import main as export_main

    return export_main(argv)


COMMANDS = {"run": _run, "analyze": _analyze, "demo": _demo, "report": _report, "export": _export}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"conflictwire: unknown command {command!r} (run, analyze, demo, report or export)", file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](rest)
    except UsageError as exc:
        print(f"conflictwire {command}: {exc}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"conflictwire {command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
