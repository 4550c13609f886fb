"""The HTML report at scale: file size and load time in a real headless Chromium for N synthetic events.

Writes a run output of N synthetic events (tests/report_data.py: 1-3 claims and sources each, real-length
evidence sentences), renders `conflictwire report` on it, opens it from file:// in Debian's Chromium and prints:

- the time to write the report, and its size;
- load time: from navigation until the page says the map, timeline and table are drawn and painted
  (`data-ready`), as seen from outside (wall clock) and inside the page (performance.now, which starts at
  navigation), and until the second blob (what an event's detail and the text search read) is inflated;
- filter response: a country filter, an event-type filter and the first free-text filter (which builds the
  search index), each from the change until all three views are redrawn and painted (wall clock, playwright's
  round trips included), and the filtering and drawing alone (in the page);
- the network requests the page made (should be 0).

With `--demo-output DIR` (a `conflictwire demo` output) it also writes the demo's report and a screenshot of
it with one event opened, to `--screenshot` (README's docs/report.png).

    .venv/bin/python benchmarks/report_load.py --events 100000 --repeat 3
    .venv/bin/python benchmarks/report_load.py --events 0 --demo-output out/demo --screenshot docs/report.png
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipelines.report import write_report  # noqa: E402
from tests import browser as chromium_helper  # noqa: E402
from tests.report_data import synthetic_rows, write_output  # noqa: E402

# Resolves once the browser has painted the next frame (canvas drawing is rasterised at paint time).
PAINTED = "() => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)))"


def measure(browser, report: Path) -> dict:
    started = time.monotonic()
    page, requests = chromium_helper.open_report(browser, report, timeout_ms=120_000, wait_for_detail=False)
    wall = time.monotonic() - started
    # A filter at once, while the detail chunks are still being inflated: the page must answer it now.
    t = time.monotonic()
    page.select_option("#f-type", index=2)
    page.evaluate(PAINTED)
    early_filter = (time.monotonic() - t) * 1000
    detail_pending = page.evaluate("document.body.dataset.detail") != "1"
    page.select_option("#f-type", "")
    page.wait_for_function("document.body.dataset.detail", timeout=120_000)
    timing = page.evaluate("window.reportTiming")
    out = {
        "load_wall_s": wall,
        "ready_in_page_ms": timing["readyMs"],  # navigation start -> first frame painted with all three views
        "inflate_ms": timing["inflateMs"],
        "first_draw_ms": timing["drawMs"],
        "detail_in_page_ms": page.evaluate("window.reportTiming.detailMs"),  # the detail chunks inflated
        "ready_to_filtered_s": wall + early_filter / 1000,  # drawn, then a filter answered and painted
        "filter_at_once_wall_ms": early_filter,
        "detail_still_loading": float(detail_pending),
        "requests": requests,
    }
    country = page.eval_on_selector("#f-country", "s => s.options[1] && s.options[1].value")
    for name, action in (
        ("filter_country", lambda: page.select_option("#f-country", country)),
        ("filter_type", lambda: page.select_option("#f-type", index=1)),
        ("filter_text_first", lambda: page.fill("#f-text", "killed")),
    ):
        t = time.monotonic()
        action()
        page.evaluate(PAINTED)
        out[name + "_wall_ms"] = (time.monotonic() - t) * 1000
        out[name + "_in_page_ms"] = page.evaluate("window.reportTiming.lastFilterMs")
    out["shown_after_filters"] = int(page.eval_on_selector("#shown", "e => e.dataset.count"))
    page.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="synthetic events (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="page loads to measure (median printed)")
    parser.add_argument("--demo-output", help="a conflictwire demo output folder to screenshot")
    parser.add_argument("--screenshot", default="docs/report.png", help="where the demo screenshot goes")
    args = parser.parse_args()
    why = chromium_helper.missing()
    if why:
        print(f"report_load: {why}")
        return 0
    with tempfile.TemporaryDirectory() as tmp, chromium_helper.chromium() as browser:
        if args.events:
            root = Path(tmp) / "out"
            t = time.monotonic()
            write_output(root, synthetic_rows(args.events))
            print(f"synthetic output: {args.events:,} events written in {time.monotonic() - t:.1f}s")
            report = Path(tmp) / "report.html"
            t = time.monotonic()
            write_report(str(root), str(report))
            print(f"report written in {time.monotonic() - t:.1f}s: {report.stat().st_size / 1e6:.1f} MB")
            runs = [measure(browser, report) for _ in range(args.repeat)]
            print(f"Chromium {browser.version}, {args.repeat} loads from file:// (median, min-max):")
            for key in runs[0]:
                if key == "requests":
                    print(f"  network requests       {[len(r['requests']) for r in runs]}")
                    continue
                values = [r[key] for r in runs]
                print(f"  {key:<22} {statistics.median(values):>9.1f}   ({min(values):.1f}-{max(values):.1f})")
        if args.demo_output:
            report = Path(args.demo_output) / "report.html"
            write_report(args.demo_output, str(report), title="conflictwire demo: the bundled offline sample")
            page, requests = chromium_helper.open_report(browser, report, viewport=(1400, 1000))
            page.select_option("#sort", "claims")  # open the event with the most claims, side by side
            page.locator("#events tbody tr").first.click()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=args.screenshot, full_page=True)
            print(f"screenshot of {report} ({len(requests)} requests) written to {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
