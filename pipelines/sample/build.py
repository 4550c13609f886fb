"""Rebuild the bundled offline sample from ../shared (run from the repo root: python pipelines/sample/build.py).

Takes real article pages from the fundus parser test data (with their gold titles, URLs and dates), the
motivating article from shared/examples, and writes three feeds that link to them, a manifest for the
replay server (pipelines/replay.py) and SOURCES.md. The pages are copied unchanged (gzip'd).
"""

from __future__ import annotations

import gzip
import html
import json
import shutil
import sys
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent.parent / "shared"
FUNDUS = SHARED / "data" / "fundus-parser-testdata"

# feed file -> (format, title, fundus pages)
FEEDS = {
    "world.xml": (
        "rss",
        "World news (English)",
        [
            "ca/GlobalNews_2026_05_24.html.gz",
            "ca/NationalPost_2025_05_08.html.gz",
            "us/Reuters_2024_03_07.html.gz",
            "ca/CBCNews_2024_08_08.html.gz",
            "uk/iNews_2025_01_28.html.gz",
            "ind/TimesOfIndia_2024_09_02.html.gz",
            "tw/TaipeiTimes_2024_10_15.html.gz",
            "uk/TheGuardian_2024_02_24.html.gz",
            "uk/iNews_2023_08_30.html.gz",
            "us/APNews_2023_04_28.html.gz",
            "pt/ThePortugalNews_2025_02_03.html.gz",
        ],
    ),
    "europe.atom": (
        "atom",
        "Europe (many languages)",
        [
            "fr/LeFigaro_2024_11_22.html.gz",
            "se/Aftonbladet_2026_08_02.html.gz",
            "es/ElMundo_2024_12_02.html.gz",
            "no/NRK_2024_08_05.html.gz",
            "be/Nieuwsblad_2025_02_02.html.gz",
            "at/ORF_2024_11_22.html.gz",
            "pl/Rzeczpospolita_2025_02_02.html.gz",
            "it/LaRepubblica_2025_01_05.html.gz",
            "ru/Kommersant_2025_05_14.html.gz",
            "ua/Pravda_2026_01_08.html.gz",
        ],
    ),
    "asia-mideast.xml": (
        "rss",
        "Asia and the Middle East",
        [
            "jp/AsahiShimbun_2025_01_13.html.gz",
            "kr/HankookIlbo_2025_05_15.html.gz",
            "lb/LBCGroup_2026_01_08.html.gz",
            "tr/NTVTR_2024_04_30.html.gz",
        ],
    ),
}
SEED_ROUTE = "/conflictwire.example/2022/08/azerbaijan-claims-revenge-for-soldier-killed-in-action"
SEED_PUBLISHED = "2022-08-04T09:00:00+00:00"
MISSING_ROUTE = "/www.example.org/2024/05/a-story-whose-page-was-not-captured"


def route_of(url: str) -> str:
    parts = urlsplit(url)
    return "/" + parts.netloc + (parts.path or "/")


def seed_page() -> str:
    lines = [line.strip() for line in (SHARED / "examples" / "seed-article.txt").read_text().splitlines()]
    title, paragraphs = lines[0], [line for line in lines[1:] if line]
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta property="article:published_time" content="{SEED_PUBLISHED}">
<meta name="author" content="conflictwire sample">
</head><body><header><nav><a href="/">Home</a> | <a href="/world">World</a></nav></header>
<main><article><h1>{html.escape(title)}</h1>
<time datetime="{SEED_PUBLISHED}">4 August 2022</time>
{body}
</article></main><footer>Sample page wrapping the text of shared/examples/seed-article.txt</footer></body></html>
"""


def rss(title: str, items: list[dict]) -> str:
    entries = "\n".join(
        f"""  <item><title>{html.escape(i["title"])}</title><link>{{{{BASE}}}}{html.escape(i["route"])}</link>
    <guid isPermaLink="false">{html.escape(i["guid"])}</guid><pubDate>{i["rfc822"]}</pubDate></item>"""
        for i in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{html.escape(title)}</title><link>{{{{BASE}}}}/</link>
<description>conflictwire offline sample</description>
{entries}
</channel></rss>
"""


def atom(title: str, items: list[dict]) -> str:
    def entry(i: dict) -> str:
        link = f'<link rel="alternate" href="{{{{BASE}}}}{html.escape(i["route"])}"/>'
        return (
            f"  <entry><title>{html.escape(i['title'])}</title>\n    {link}<id>{html.escape(i['guid'])}</id>"
            f"<updated>{i['iso']}</updated></entry>"
        )

    entries = "\n".join(entry(i) for i in items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{html.escape(title)}</title><id>urn:conflictwire:sample:{title}</id>
<updated>2026-08-02T00:00:00Z</updated>
{entries}
</feed>
"""


def main() -> int:
    if not FUNDUS.exists():
        print(f"needs {FUNDUS}", file=sys.stderr)
        return 1
    gold = {r["file"]: r for r in map(json.loads, (FUNDUS / "gold.jsonl").read_text().splitlines())}
    for sub in ("feeds", "pages"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
        (HERE / sub).mkdir()
    routes: dict[str, dict] = {}
    sources = []
    for feed_name, (kind, title, files) in FEEDS.items():
        items = []
        for file in files:
            record = gold[file]
            route = route_of(record["url"])
            name = file.replace("/", "_")
            shutil.copy(FUNDUS / "html" / file, HERE / "pages" / name)
            routes[route] = {"file": f"pages/{name}", "content_type": "text/html; charset=utf-8"}
            published = datetime.fromisoformat(record["publishing_date"])
            items.append(
                {
                    "title": record["title"],
                    "route": route,
                    "guid": record["url"],
                    "rfc822": format_datetime(published),
                    "iso": published.isoformat(),
                }
            )
            sources.append(f"| {feed_name} | {record['publisher']} | {record['url']} | fundus `{file}` |")
        if feed_name == "world.xml":
            seed_pub = datetime.fromisoformat(SEED_PUBLISHED)
            items.insert(
                0,
                {
                    "title": "Azerbaijan Claims \u201cRevenge\u201d For Soldier Killed In Action",
                    "route": SEED_ROUTE,
                    "guid": "urn:conflictwire:seed-article",
                    "rfc822": format_datetime(seed_pub),
                    "iso": SEED_PUBLISHED,
                },
            )
            items.append(
                {
                    "title": "A story whose page was not captured",
                    "route": MISSING_ROUTE,
                    "guid": "urn:conflictwire:missing-page",
                    "rfc822": format_datetime(seed_pub),
                    "iso": SEED_PUBLISHED,
                }
            )
        text = rss(title, items) if kind == "rss" else atom(title, items)
        (HERE / "feeds" / feed_name).write_text(text, encoding="utf-8")
        content_type = "application/rss+xml; charset=utf-8" if kind == "rss" else "application/atom+xml"
        routes[f"/feeds/{feed_name}"] = {"file": f"feeds/{feed_name}", "content_type": content_type, "feed": True}
    (HERE / "pages" / "seed-article.html.gz").write_bytes(gzip.compress(seed_page().encode(), mtime=0))
    routes[SEED_ROUTE] = {"file": "pages/seed-article.html.gz", "content_type": "text/html; charset=utf-8"}
    # Listed in the demo's feed list but absent from the snapshot: a feed that fails.
    manifest = {"routes": dict(sorted(routes.items())), "missing_feeds": ["/feeds/gone.xml"]}
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    (HERE / "SOURCES.md").write_text(
        "# Sources of the bundled sample\n\nGenerated by `pipelines/sample/build.py`.\n\n"
        "Article pages: unchanged HTML from the fundus parser test data (github.com/flairNLP/fundus, commit "
        "18da6e53592f99cf0ac5770dc63d6ba99ba63ae8, `tests/resources/parser/test_data/`, MIT licence for the "
        "packaging; the articles belong to their publishers and are used here for testing only). Feed titles, "
        "links and dates come from fundus' gold metadata for the same pages; the three feed documents are "
        "written by the build script.\n\n"
        "The seed article: the text of `shared/examples/seed-article.txt` (a real report of August 2022), "
        "wrapped by the build script in a minimal HTML page with a publication date of 2022-08-04.\n\n"
        "One feed item points to a page that is deliberately absent (a 404), and the demo's feed list names one "
        "feed that is absent, so the demo shows dead letters.\n\n"
        "| feed | publisher | original URL | source file |\n|---|---|---|---|\n" + "\n".join(sources) + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
