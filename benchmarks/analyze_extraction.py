"""Issue 2's acceptance figure: `conflictwire analyze` over the article-extraction-benchmark pages, scored on its gold.

Writes the 127 pages as JSONL ({"id", "html", "url"}), runs the real command in a subprocess, and scores each
output `text` against the gold `articleBody` with the upstream metric (benchmarks/extraction_quality.py).

Usage: python -m benchmarks.analyze_extraction [--limit N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.extraction_quality import SHARED_DATA, load_scrapinghub, score, tp_fp_fn  # noqa: E402


def run(limit: int | None = None) -> dict:
    pages = list(load_scrapinghub())[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for page in pages:
                out.write(json.dumps({"id": page.page_id, "html": page.html, "url": page.url}) + "\n")
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "analyze", "--input", str(source), "--output", str(target)],
            check=True,
            cwd=REPO,
        )
        seconds = time.monotonic() - started
        results = {r["id"]: r for r in map(json.loads, target.read_text(encoding="utf-8").splitlines())}
    errors = [pid for pid, r in results.items() if "error" in r]
    texts = [results.get(page.page_id, {}).get("text") or "" for page in pages]
    shingles = score([tp_fp_fn(page.gold, text) for page, text in zip(pages, texts, strict=True)])
    tokens = score([tp_fp_fn(page.gold, text, n=1) for page, text in zip(pages, texts, strict=True)])
    return {"pages": len(pages), "errors": len(errors), "seconds": seconds, "shingles": shingles, "tokens": tokens}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not (SHARED_DATA / "article-extraction-benchmark").exists():
        print(f"corpus not found under {SHARED_DATA}", file=sys.stderr)
        return 1
    figures = run(args.limit)
    print(
        f"conflictwire analyze on {figures['pages']} pages ({figures['errors']} error records), "
        f"{figures['seconds']:.1f}s wall"
    )
    print("| metric | precision | recall | F1 |\n|---|---|---|---|")
    for name in ("tokens", "shingles"):
        s = figures[name]
        print(f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
