"""What every performance benchmark shares: the real pages, a loopback replay of N articles, timing and peak memory.

- `load_pages()`: the real news pages of ../shared/data (article-extraction-benchmark and fundus-parser-testdata),
  each with the URL it was crawled from.
- `build_snapshot()`: a replay snapshot (see `pipelines/replay.py`) of N articles: the real pages repeated under
  distinct URLs, announced by RSS feeds of `ITEMS_PER_FEED` items each. A page file is stored once however often it
  is served, so a 10k snapshot costs the disk of ~300 pages.
- `serve_in_subprocess()`: that snapshot served on 127.0.0.1 from a separate process, so that the server's memory and
  its share of the GIL are not charged to the process being measured.
- `summary()`, `ratio_of_medians()`: p50/p95/mean and interleaved-run ratios; `PeakRss`: a sampling thread that
  records the peak resident memory of a process tree (a pipeline's SDK worker subprocesses included).

Nothing here passes or fails; the scripts beside it print figures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipelines.replay import SNAPSHOT_TIME, ReplayServer  # noqa: E402
from transforms.settings import FetchSettings  # noqa: E402

# trafilatura logs a warning per page it discards; a benchmark's table is its output
logging.getLogger("trafilatura").setLevel(logging.ERROR)

SHARED_DATA = Path(os.environ.get("CONFLICTWIRE_SHARED", REPO.parent / "shared")).resolve() / "data"
EXTRACTION_BENCHMARK = SHARED_DATA / "article-extraction-benchmark"
FUNDUS = SHARED_DATA / "fundus-parser-testdata"

# A realistic feed size: news feeds list 20-100 items; fewer, larger feeds would understate the polling stage.
ITEMS_PER_FEED = 100
# The replay is one machine: the politeness interval (1 s per host by default) would make a benchmark measure sleep.
BENCH_FETCH_SETTINGS = FetchSettings(
    allow_hosts=("127.0.0.1",),
    min_host_interval_s=0.0,
    max_connections_per_host=8,
    retries=0,
    connect_timeout_s=5.0,
    read_timeout_s=10.0,
)


class Page(NamedTuple):
    """One real news page: where it came from and its raw (undecoded) HTML bytes."""

    name: str  # corpus-relative id, e.g. "fundus/de/Spiegel_2024_01_01.html.gz"
    url: str
    html: bytes
    path: Path  # the gzip'd file it was read from


def corpora_available() -> bool:
    return EXTRACTION_BENCHMARK.exists() or FUNDUS.exists()


def sample_pages() -> list[Page]:
    """The 26 real pages of the bundled demo sample (pipelines/sample), for runs on a clone without the corpora."""
    sample = Path(__file__).resolve().parent.parent / "pipelines" / "sample"
    routes = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))["routes"]
    pages = []
    for route_path, route in sorted(routes.items()):
        path = sample / route["file"]
        if route.get("feed") or not path.name.endswith(".gz"):
            continue
        pages.append(Page(f"sample/{path.name}", "https:/" + route_path, gzip.decompress(path.read_bytes()), path))
    return pages


def require_corpora() -> None:
    """Exit with a one-line explanation when ../shared/data is absent (a fresh clone)."""
    if not corpora_available():
        print(f"the shared corpora are not available at {SHARED_DATA}; nothing to measure", file=sys.stderr)
        raise SystemExit(0)


def load_pages(limit: int | None = None) -> list[Page]:
    """The real pages of both corpora, in a stable order (article-extraction-benchmark first)."""
    pages: list[Page] = []
    truth_file = EXTRACTION_BENCHMARK / "ground-truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            path = EXTRACTION_BENCHMARK / "html" / f"{page_id}.html.gz"
            if path.exists():
                pages.append(Page(f"aeb/{page_id}", truth[page_id]["url"], gzip.decompress(path.read_bytes()), path))
    gold_file = FUNDUS / "gold.jsonl"
    if gold_file.exists():
        for line in gold_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            path = FUNDUS / "html" / row["file"]
            if path.exists():
                pages.append(Page(f"fundus/{row['file']}", row["url"], gzip.decompress(path.read_bytes()), path))
    return pages[:limit] if limit else pages


# --- replay snapshot of N articles ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Snapshot:
    root: Path
    articles: int
    feeds: tuple[str, ...]  # route paths of the feeds
    pages: int  # distinct page files behind the article routes


def _article_path(index: int, page: Page) -> str:
    stem = Path(page.name).name.split(".")[0].lower()[:40]
    # distinct hosts-in-path per feed keep URLs realistic and distinct after canonicalisation
    return f"/site{index // ITEMS_PER_FEED:04d}.example/news/{index:06d}-{stem}.html"


def build_snapshot(root: str | Path, pages: Sequence[Page], articles: int) -> Snapshot:
    """Write a replay snapshot of `articles` articles (the pages cycled) into `root` and return its description."""
    root = Path(root)
    (root / "pages").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    files = []
    for number, page in enumerate(pages):
        target = root / "pages" / f"{number:04d}.html.gz"
        shutil.copyfile(page.path, target)
        files.append(f"pages/{target.name}")
    routes: dict[str, dict] = {}
    items_by_feed: dict[int, list[tuple[str, int]]] = {}
    for index in range(articles):
        slot = index % len(pages)
        path = _article_path(index, pages[slot])
        routes[path] = {"file": files[slot], "content_type": "text/html"}
        items_by_feed.setdefault(index // ITEMS_PER_FEED, []).append((path, index))
    feeds = []
    for feed, items in items_by_feed.items():
        feed_path = f"/feeds/feed{feed:04d}.xml"
        entries = "\n".join(
            f"<item><title>Article {index}</title><link>{{{{HOST{index}}}}}{escape(path)}</link>"
            f"<guid>{{{{HOST{index}}}}}{escape(path)}</guid><pubDate>{SNAPSHOT_TIME}</pubDate>"
            f"<description>Replayed article number {index}.</description></item>"
            for path, index in items
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Benchmark feed {feed}</title><link>{{{{HOST{feed}}}}}/</link><description>replay</description>\n"
            f"{entries}\n</channel></rss>\n"
        )
        (root / "feeds" / f"feed{feed:04d}.xml").write_text(xml, encoding="utf-8")
        routes[feed_path] = {"file": f"feeds/feed{feed:04d}.xml", "content_type": "application/rss+xml", "feed": True}
        feeds.append(feed_path)
    (root / "manifest.json").write_text(json.dumps({"routes": routes}), encoding="utf-8")
    return Snapshot(root, articles, tuple(feeds), len(pages))


class _SharedBodyHandler(BaseHTTPRequestHandler):
    """The replay server's protocol, with each distinct file read and gzip'd once (not once per URL or request)."""

    # Keep-alive, as news sites and CDNs answer: HTTP/1.0 would charge every fetch a new TCP connection.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for a delayed ACK (~40 ms) every time.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        replay: SharedBodyReplayServer = self.server.replay  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain", None)
        route = replay.routes.get(path)
        if route is None:
            return self._send(404, b"not in the snapshot\n", "text/plain", None)
        plain, packed = replay.bodies(route["file"])
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(plain) > 1024:
            return self._send(200, packed, route.get("content_type", "text/html"), "gzip")
        return self._send(200, plain, route.get("content_type", "text/html"), None)

    def _send(self, status: int, body: bytes, content_type: str, encoding: str | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", SNAPSHOT_TIME)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)


class SharedBodyReplayServer(ReplayServer):
    """`ReplayServer` for big synthetic snapshots: bodies cached per file, so 10k URLs over 300 pages hold 300.

    Several servers of one snapshot (on several ports) share `hosts` and the cache: a port counts as a separate
    host for the fetch stage's politeness, so each stands in for one news site. `{{HOSTn}}` in a served file becomes
    the base URL of server n mod len(hosts): a feed spreads its articles over every "site".
    """

    def __init__(self, root: str | Path, hosts: list[str], cache: dict[str, tuple[bytes, bytes]]):
        super().__init__(root)
        self._server.RequestHandlerClass = _SharedBodyHandler
        self._files = cache
        self.hosts = hosts

    def bodies(self, file: str) -> tuple[bytes, bytes]:
        """(plain, gzip'd) body of a snapshot file, `{{HOSTn}}` replaced."""
        with self._lock:
            if file not in self._files:
                raw = (self.root / file).read_bytes()
                if file.endswith(".gz"):
                    raw = gzip.decompress(raw)
                plain = _HOST.sub(lambda m: self.hosts[int(m.group(1)) % len(self.hosts)].encode(), raw)
                self._files[file] = (plain, gzip.compress(plain, compresslevel=6, mtime=0))
            return self._files[file]


_HOST = re.compile(rb"\{\{HOST(\d+)\}\}")


@contextlib.contextmanager
def serve_in_subprocess(root: str | Path, ports: int = 1) -> Iterator[tuple[list[str], int]]:
    """Serve a snapshot on `ports` loopback ports from a child process; yields (base URLs, the child's pid)."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(root), str(ports)],
        stdin=subprocess.PIPE,  # the server exits when this pipe closes, so a killed benchmark leaves no server
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        bases = process.stdout.readline().split()
        if not bases or not all(base.startswith("http://") for base in bases):
            raise RuntimeError(f"the replay server did not start (said {bases!r})")
        yield bases, process.pid
    finally:
        process.terminate()
        process.wait(10)


def feed_urls(snapshot: Snapshot, bases: Sequence[str]) -> list[str]:
    """The snapshot's feed URLs, feed k on server k mod len(bases) (article i is on server i mod len(bases))."""
    return [bases[number % len(bases)] + feed for number, feed in enumerate(snapshot.feeds)]


# --- the stages, called as plain functions ------------------------------------------------------------------------


def stage_dofns(transform) -> list:
    """The DoFns a stage's public PTransform applies, configured exactly as the pipeline configures them."""
    import apache_beam as beam

    pipeline = beam.Pipeline(runner="FnApiRunner")
    _ = pipeline | beam.Create([]) | transform
    found = []

    class _Visitor(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node) -> None:
            if isinstance(node.transform, beam.ParDo) and not node.full_label.startswith("Create"):
                found.append(node.transform.fn)

    pipeline.visit(_Visitor())
    return found


class Stages:
    """The pipeline's per-article stages as plain calls: what a loop without Beam would run.

    Each stage is the very DoFn its public PTransform applies (found by expanding the transform, see
    `stage_dofns`), set up once and then called element by element: the same code and models as the pipeline,
    without the runner, coders, fusion and shuffles that Beam adds around them.
    """

    def __init__(self, run_id: str = "bench", language_backend: str = "auto"):
        from transforms.classify import ClassifyConflict
        from transforms.events import ExtractEvents
        from transforms.extract import ExtractArticles
        from transforms.language import DetectLanguage

        self.run_id = run_id
        self._fns = {
            "extract": stage_dofns(ExtractArticles(run_id=run_id)),
            "language": stage_dofns(DetectLanguage(backend=language_backend)),
            "relevance": stage_dofns(ClassifyConflict()),
            "events": stage_dofns(ExtractEvents(run_id=run_id)),
        }
        for fns in self._fns.values():
            for fn in fns:
                fn.setup()

    def run(self, stage: str, element) -> tuple[list, list[tuple[str, object]]]:
        """(main outputs, [(tag, tagged output)]) of one element through a stage's DoFns."""
        import apache_beam as beam

        elements, tagged = [element], []
        for fn in self._fns[stage]:
            outputs = []
            for value in elements:
                for out in fn.process(value) or ():
                    if isinstance(out, beam.pvalue.TaggedOutput):
                        tagged.append((out.tag, out.value))
                    else:
                        outputs.append(out)
            elements = outputs
        return elements, tagged

    def _one(self, stage: str, element):
        from transforms.base import DEAD, StageError

        outputs, tagged = self.run(stage, element)
        if not outputs:
            dead = [value for tag, value in tagged if tag == DEAD]
            raise StageError(dead[0].reason if dead else "dropped", dead[0].detail if dead else "")
        return outputs[0]

    def extract(self, page):
        """FetchedPage -> Article; raises StageError when the stage dead-letters the page."""
        return self._one("extract", page)

    def language(self, article):
        return self._one("language", article)

    def relevance(self, article):
        return self._one("relevance", article)

    def events(self, article):
        """(the article with its event_count, its events)."""
        from transforms.events import EVENTS_TAG

        outputs, tagged = self.run("events", article)
        return outputs[0], [value for tag, value in tagged if tag == EVENTS_TAG]

    def analyse(self, page):
        """extract -> language -> relevance -> events for one page."""
        article = self.relevance(self.language(self.extract(page)))
        return self.events(article)


def fetched_page(page: Page, html: str | None = None):
    """A FetchedPage for a real page as the fetch stage would hand it on (decoded to Unicode)."""
    from schemas import FeedItem, FetchedPage
    from transforms.base import stable_id, utcnow
    from transforms.http import decode_html

    item = FeedItem(
        item_id=stable_id(page.url),
        feed_url="http://127.0.0.1/feed.xml",
        url=page.url,
        guid=page.url,
        title=None,
        summary=None,
        published=None,
        feed_language=None,
        seen_at=utcnow(),
    )
    text = html if html is not None else decode_html(page.html, {"Content-Type": "text/html"})
    return FetchedPage(
        item=item, url=page.url, http_status=200, html=text, content_type="text/html", fetched_at=utcnow()
    )


# --- the two ways of running the whole job -----------------------------------------------------------------------


def run_beam(feeds: Sequence[str], output: str, run_id: str = "bench", beam_args: Sequence[str] = ()) -> dict:
    """The batch pipeline (`pipelines.batch.build`) over `feeds`, on the FnApiRunner unless `beam_args` say otherwise.

    Returns {"seconds", "counters"}; the run's Parquet output is under `output`.
    """
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines import batch
    from pipelines.options import with_default_runner
    from pipelines.run import counters_of

    started = time.perf_counter()
    plan = batch.RunPlan(feeds=tuple(feeds), output=output, run_id=run_id, settings=BENCH_FETCH_SETTINGS)
    options = with_default_runner(PipelineOptions(list(beam_args)))
    pipeline = beam.Pipeline(options=options)
    batch.build(pipeline, plan)
    result = pipeline.run()
    result.wait_until_finish()
    return {"seconds": time.perf_counter() - started, "counters": counters_of(result)}


class _KindWriter:
    """One Parquet file per record kind, written a row group at a time (as the sink validates, then converts)."""

    def __init__(self, path: Path, kind, rows_per_group: int):
        import pyarrow.parquet as pq

        self.kind = kind
        self.schema = kind.arrow_schema()
        self.rows_per_group = rows_per_group
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.batch: list[dict] = []
        self.rows = 0
        self.refused: list = []

    def add(self, row) -> None:
        if "run_id" in self.kind.field_names and getattr(row, "run_id", None) is None:
            row = row._replace(run_id="bench")
        problems = self.kind.validate(row)
        if problems:
            self.refused.append(problems)
            return
        self.batch.append(self.kind.to_dict(row))
        if len(self.batch) >= self.rows_per_group:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.batch:
            self.writer.write_table(pa.Table.from_pylist(self.batch, schema=self.schema))
            self.rows += len(self.batch)
            self.batch = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def run_plain_loop(feeds: Sequence[str], output: str, stages: Stages | None = None, run_id: str = "bench") -> dict:
    """The same stages as the pipeline, in one Python loop: poll, de-duplicate, fetch, analyse, write.

    Streams: an article is written (a row group at a time) before the next page is fetched, so memory is bounded by
    one page plus a row group. Returns {"seconds", "counters"} with the same counter names as the Beam run's.
    """
    from schemas import ARTICLES, DEAD_LETTERS, EVENTS, FEED_STATUS
    from transforms.base import StageError, dead_letter
    from transforms.feeds import poll_feed
    from transforms.fetch import fetch_page
    from transforms.http import HttpClient
    from transforms.sinks import ROWS_PER_ROW_GROUP

    started = time.perf_counter()
    stages = stages or Stages(run_id)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    writers = {
        kind.name: _KindWriter(folder / f"{kind.name}.parquet", kind, ROWS_PER_ROW_GROUP)
        for kind in (ARTICLES, EVENTS, DEAD_LETTERS, FEED_STATUS)
    }
    seen: set[str] = set()
    counts = {("extract", "articles"): 0, ("events", "events_extracted"): 0, ("classify", "conflict"): 0}
    with HttpClient(BENCH_FETCH_SETTINGS) as client:
        for feed_url in feeds:
            for tag, row in poll_feed(client, feed_url, run_id):
                if tag is not None:
                    writers["feed_status" if tag == "feed_status" else "dead_letters"].add(row)
                    continue
                if row.item_id in seen:
                    continue
                seen.add(row.item_id)
                tag, page = fetch_page(client, row)
                if tag is not None:
                    writers["dead_letters"].add(page)
                    continue
                try:
                    article, events = stages.analyse(page)
                except StageError as error:
                    writers["dead_letters"].add(
                        dead_letter("extract", error.reason, url=page.url, item_id=row.item_id, detail=error.detail)
                    )
                    continue
                counts[("extract", "articles")] += 1
                counts[("classify", "conflict")] += bool(article.is_conflict)
                counts[("events", "events_extracted")] += len(events)
                writers["articles"].add(article)
                for event in events:
                    writers["events"].add(event)
    for writer in writers.values():
        writer.close()
    return {"seconds": time.perf_counter() - started, "counters": counts}


# --- figures -------------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile (share in 0-1) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values_s: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean in milliseconds of per-item timings given in seconds."""
    if not values_s:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan"), "n": 0}
    return {
        "p50": percentile(values_s, 0.5) * 1000,
        "p95": percentile(values_s, 0.95) * 1000,
        "mean": statistics.fmean(values_s) * 1000,
        "n": len(values_s),
    }


def ratio_of_medians(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median of the per-repetition ratios: robust to a repetition slowed by a neighbour's burst of CPU."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True) if d > 0)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for number, row in enumerate(cells):
        aligned = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  " + "  ".join(aligned))
        if number == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_gib = "unknown"
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "ram": ram_gib,
        "python": platform.python_version(),
        "load (1/5/15 min)": load,
    }


def print_machine() -> None:
    info = machine()
    print("machine: " + "; ".join(f"{key} {value}" for key, value in info.items()))


# --- memory --------------------------------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found.extend(int(child) for child in task.read_text().split())
    return found


def process_tree(pid: int, exclude: frozenset[int] = frozenset()) -> list[int]:
    tree, stack = [], [pid]
    while stack:
        current = stack.pop()
        if current in exclude:
            continue
        tree.append(current)
        stack.extend(_children(current))
    return tree


class PeakRss:
    """Samples the resident memory of this process and its descendants; `peak_mib` is the largest sum seen.

    A sampler, not the kernel's high-water mark: a spike shorter than `interval_s` can be missed, so `vm_hwm_mib`
    (this process's exact peak) is reported beside it.
    """

    def __init__(self, interval_s: float = 0.1, exclude: Sequence[int] = ()):
        self.interval_s = interval_s
        self.exclude = frozenset(exclude)
        self.peak_kib = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        pids = process_tree(os.getpid(), self.exclude)
        total = sum(_rss_kib(pid) for pid in pids)
        if total > self.peak_kib:
            self.peak_kib, self.peak_processes = total, len(pids)

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    @staticmethod
    def vm_hwm_mib() -> float:
        with contextlib.suppress(OSError, ValueError):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _serve(root: str, ports: int) -> None:
    hosts: list[str] = []
    cache: dict[str, tuple[bytes, bytes]] = {}
    servers = [SharedBodyReplayServer(root, hosts, cache) for _ in range(ports)]
    hosts.extend(server.base_url for server in servers)
    for server in servers:
        server.start()
    print(" ".join(hosts), flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe: terminated, finished or killed


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    else:
        print("usage: common.py --serve SNAPSHOT_DIR [PORTS]  (the benchmarks start this themselves)", file=sys.stderr)
        raise SystemExit(2)
