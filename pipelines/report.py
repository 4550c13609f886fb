"""`conflictwire report`: one self-contained HTML file of what a run output holds, opened from disk, offline.

A map of the events on Natural Earth country outlines, a timeline by event type, a filterable table, each
event's claims side by side with their evidence and sources, and feed health. Everything (data, base map,
script, style) is inside the one file: no CDN, no tile server, no request at all. The data travel as gzip
compressed JSON, column by column with dictionary-encoded strings, which the page inflates with the browser's
own DecompressionStream (what the views draw first, the detail after the first paint); the table is paginated,
the timeline binned and the map's marks merged per pixel, so 100,000 events stay usable
(benchmarks/report_load.py measures it).
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import functools
import gzip
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.export import country_name
from pipelines.reading import Output, OutputError, load_output, parse_date

ASSETS = Path(__file__).resolve().parent / "report_assets"
EPOCH = dt.date(1970, 1, 1)
# The event columns the page reads (see report.js): short names, since each appears once per payload.
EVENT_COLUMNS = (
    "id day dp type sub dis a1 a2 t1 t2 cc loc ltxt adm1 adm2 lat lon gp gs fat wnd by ctxt vague ev dtxt conf lang n"
    " nc src claims"
).split()
# What only an event's detail and the free-text search read: a second blob, inflated after the first paint.
DETAIL_COLUMNS = ("ev", "ctxt", "dtxt", "src", "claims")
DETAIL_CHUNK_EVENTS = 10_000
# Columns written as indices into the page's string table, and the event field each comes from.
_STRING_COLUMNS = (
    ("type", "event_type"),
    ("sub", "sub_event_type"),
    ("dis", "disorder_type"),
    ("a1", "actor1"),
    ("a2", "actor2"),
    ("t1", "actor1_type"),
    ("t2", "actor2_type"),
    ("cc", "country"),
    ("loc", "location"),
    ("ltxt", "location_text"),
    ("adm1", "admin1"),
    ("adm2", "admin2"),
)


class _Dict:
    """Dictionary encoding: each distinct string once, referenced by index (-1 for none)."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def __call__(self, value: str | None) -> int:
        if value is None or value == "":
            return -1
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


@functools.lru_cache(maxsize=1)
def country_outlines() -> list[dict]:
    """Natural Earth 1:110m countries, decoded from the vendored TopoJSON: name, ISO numeric id, rings.

    Rings are flat [lon0, lat0, lon1, lat1, ...] lists in tenths of a degree (ample at 1:110m).
    """
    topo = json.loads((ASSETS / "countries-110m.json").read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> list[int]:
        points: list[tuple[float, float]] = []
        for i in indices:
            arc = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(arc[1:] if points else arc)
        flat = []
        for lon, lat in points:
            flat += [round(lon * 10), round(lat * 10)]
        return flat

    countries = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs") or []
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = [ring(r) for polygon in polygons for r in polygon]
        countries.append({"id": geometry.get("id"), "name": geometry["properties"]["name"], "rings": rings})
    return countries


def _day(value: dt.date | None) -> int | None:
    return None if value is None else (value - EPOCH).days


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _feed_health(data: Output) -> list[list]:
    """Per feed: its latest status row, plus how many polls answered ok / 304 / failed."""
    rows = sorted(data.feed_status.to_pylist(), key=lambda r: (r["feed_url"], r["fetched_at"] or dt.datetime.min))
    by_feed: dict[str, list[dict]] = collections.defaultdict(list)
    for row in rows:
        by_feed[row["feed_url"]].append(row)
    out = []
    for feed, polls in sorted(by_feed.items()):
        last = polls[-1]
        tally = collections.Counter(p["status"] for p in polls)
        out.append(
            [
                feed,
                last["status"],
                last["http_status"],
                last["items"],
                sum(p["new_items"] or 0 for p in polls),
                last["error"],
                _iso(last["fetched_at"]),
                len(polls),
                tally.get("ok", 0),
                tally.get("not_modified", 0),
                len(polls) - tally.get("ok", 0) - tally.get("not_modified", 0),
            ]
        )
    return out


def build_payload(data: Output, title: str, filters: dict) -> dict:
    """The report's data, column by column, strings dictionary-encoded."""
    strings = _Dict()
    events = data.events.to_pylist()
    # Only the articles the events cite travel with the page (most fetched articles report no event).
    by_id = {a["article_id"]: a for a in data.articles.to_pylist()}
    article_index: dict[str, int] = {}
    articles: list[list] = []

    def article_ref(article_id: str | None, fallback_url: str | None) -> int:
        if article_id is None:
            return -1
        if article_id not in article_index:
            # An article row may be missing (written by a run outside the output): the event's link still shows.
            article = by_id.get(article_id) or {"url": fallback_url}
            url = article.get("url")
            article_index[article_id] = len(articles)
            articles.append(
                [
                    url,
                    strings(article.get("sitename") or urlsplit(url or "").hostname),
                    article.get("title"),
                    _iso(article.get("published")),
                    article.get("language"),
                ]
            )
        return article_index[article_id]

    columns: dict[str, list] = {key: [] for key in EVENT_COLUMNS}
    for e in events:
        columns["id"].append(e["event_id"])
        columns["day"].append(_day(e["event_date"]))
        columns["dp"].append(e["date_precision"])
        for column, field in _STRING_COLUMNS:
            columns[column].append(strings(e[field]))
        columns["lat"].append(None if e["latitude"] is None else round(e["latitude"], 4))
        columns["lon"].append(None if e["longitude"] is None else round(e["longitude"], 4))
        columns["gp"].append(e["geo_precision"])
        columns["gs"].append(strings(e["geo_source"]))
        columns["fat"].append(e["fatalities"])
        columns["wnd"].append(e["wounded"])
        columns["by"].append(strings(e["claimed_by"]))
        columns["ctxt"].append(e["casualty_text"])
        columns["vague"].append(1 if e["casualties_vague"] else 0)
        columns["ev"].append(e["evidence"])
        columns["dtxt"].append(e["date_text"])
        columns["conf"].append(None if e["confidence"] is None else round(e["confidence"], 3))
        columns["lang"].append(strings(e["language"]))
        columns["n"].append(e["source_count"])
        columns["src"].append(
            [article_ref(a, e["source_url"] if a == e["article_id"] else None) for a in e["source_article_ids"] or ()]
            or [article_ref(e["article_id"], e["source_url"])]
        )
        columns["nc"].append(len(e["claims"] or ()))
        columns["claims"].append(
            [
                [
                    strings(c["claimed_by"]),
                    c["fatalities"],
                    c["wounded"],
                    1 if c["vague"] else 0,
                    c["text"],
                    article_ref(c["source_article_id"], None) if c["source_article_id"] else -1,
                ]
                for c in e["claims"] or ()
            ]
        )
    dead = collections.Counter((d["stage"], d["reason"]) for d in data.dead_letters.to_pylist())
    return {
        "title": title,
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "filters": filters,
        "runs": sorted(data.committed_runs),
        "counts": {
            "events": len(events),
            "articles": data.articles.num_rows,
            "dead_letters": data.dead_letters.num_rows,
            "feed_polls": data.feed_status.num_rows,
        },
        "strings": strings.values,
        "events": columns,
        "country_names": {cc: country_name(cc) for cc in sorted({e["country"] for e in events if e["country"]})},
        "articles": articles,
        "feeds": _feed_health(data),
        "dead": [[stage, reason, n] for (stage, reason), n in sorted(dead.items(), key=lambda kv: (-kv[1], kv[0]))],
        "countries": country_outlines(),
    }


def _blob(value: dict) -> str:
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode("ascii")


def render(payload: dict) -> str:
    """The HTML page: the template with its style, script and the data inlined as two gzip+base64 blobs.

    The first holds what the map, timeline and table draw; the second what only an event's detail and the text
    search read (evidence, claims, sources, articles), which the page inflates after its first paint.
    """
    core = dict(payload, events={k: v for k, v in payload["events"].items() if k not in DETAIL_COLUMNS})
    del core["articles"]
    # The detail goes in chunks, inflated one after another, so that the page answers clicks and filters while
    # it reads them (each chunk holds the main thread for a moment, not the whole detail for seconds).
    events, articles = payload["events"], payload["articles"]
    chunks = max(1, -(-len(events["id"]) // DETAIL_CHUNK_EVENTS))
    article_step = -(-len(articles) // chunks) or 1
    tags = []
    for c in range(chunks):
        part = {
            "events": {k: events[k][c * DETAIL_CHUNK_EVENTS : (c + 1) * DETAIL_CHUNK_EVENTS] for k in DETAIL_COLUMNS},
            "articles": articles[c * article_step : (c + 1) * article_step],
        }
        tags.append(f'<script class="detail-data" type="application/octet-stream">{_blob(part)}</script>')
    template = (ASSETS / "report.html").read_text(encoding="utf-8")
    page = template.replace("/*STYLE*/", (ASSETS / "report.css").read_text(encoding="utf-8"))
    page = page.replace("<!--TITLE-->", _escape(payload["title"]))
    page = page.replace("/*SCRIPT*/", (ASSETS / "report.js").read_text(encoding="utf-8"))
    return page.replace("<!--DATA-->", _blob(core)).replace("<!--DETAIL-->", "\n".join(tags))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_report(
    root: str, path: str, since: dt.date | None = None, countries: tuple[str, ...] = (), title: str | None = None
) -> dict:
    """Read `root` and write the report to `path`; returns the payload's counts."""
    data = load_output(root, since, countries)
    filters = {"since": since.isoformat() if since else None, "countries": sorted(c.upper() for c in countries)}
    payload = build_payload(data, title or f"conflictwire report: {root}", filters)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(render(payload), encoding="utf-8")
    return payload["counts"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conflictwire report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="a run output folder (what `conflictwire run` wrote)")
    parser.add_argument("--output", required=True, help="the HTML file to write")
    parser.add_argument("--since", help="only events on or after this date (YYYY-MM-DD)")
    parser.add_argument("--country", action="append", default=[], help="only this country (alpha-2), repeatable")
    parser.add_argument("--title", help="the page's title")
    args = parser.parse_args(argv)
    try:
        counts = write_report(args.input, args.output, parse_date(args.since), tuple(args.country), args.title)
    except (OutputError, OSError) as exc:
        print(f"conflictwire report: {exc}", file=sys.stderr)
        return 2
    print(f"report of {counts['events']} events written to {Path(args.output).resolve()}")
    return 0
