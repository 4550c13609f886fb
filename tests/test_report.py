"""The HTML report: built from a run output, drawn by a real headless Chromium from a file:// path, offline."""

from __future__ import annotations

import datetime as dt
import re
import struct

import duckdb
import pytest

from pipelines import report as report_module
from pipelines.cli import main
from pipelines.reading import load_output
from pipelines.report import ASSETS, build_payload, country_outlines, write_report
from tests import browser as chromium_helper
from tests.report_data import T0, synthetic_rows, write_output

N_EVENTS = 300


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    """A committed run r1, an older version of one event (committed run r0) and an uncommitted run r2."""
    root = tmp_path_factory.mktemp("report-output")
    rows = synthetic_rows(N_EVENTS)
    uncited = dict(rows["articles"][0], article_id="not-an-event", url="https://news.example/markets", title="Stocks")
    rows["articles"].append(uncited)
    write_output(root, rows, "r1")
    old = dict(rows["events"][5], run_id="r0", extracted_at=T0 - dt.timedelta(days=1), sub_event_type="Attack")
    old.update(event_type="Violence against civilians", fatalities=999)
    write_output(root, {"events": [old]}, "r0")
    stray = dict(rows["events"][0], event_id="uncommitted", run_id="r2")
    write_output(root, {"events": [stray]}, "r2", commit=False)
    return root


@pytest.fixture(scope="module")
def report(output, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(str(output), str(path))
    return path


@pytest.fixture(scope="module")
def chunked_report(output, tmp_path_factory):
    """The same report with its detail in chunks of 64 events (100,000 events come in chunks of 10,000)."""
    path = tmp_path_factory.mktemp("report") / "chunked.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "DETAIL_CHUNK_EVENTS", 64)
        write_report(str(output), str(path))
    assert path.read_text(encoding="utf-8").count('class="detail-data"') == 5  # 300 events
    return path


def parquet(output, sql: str):
    """Answer `sql` over the output's committed, latest events (`events`), as the docs tell readers to."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW runs AS SELECT run_id FROM read_json_auto('{output}/_runs/*.json')")
    con.execute(
        f"CREATE VIEW events AS SELECT * FROM read_parquet('{output}/events/*/*.parquet', hive_partitioning = true) "
        "WHERE run_id IN (SELECT run_id FROM runs) "
        "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY extracted_at DESC, run_id DESC) = 1"
    )
    return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def browser():
    with chromium_helper.chromium_or_skip() as launched:
        yield launched


def counts(page) -> dict:
    return page.evaluate(
        """() => ({
        shown: +document.getElementById('shown').dataset.count,
        table: +document.getElementById('events').dataset.count,
        map: +document.getElementById('map').dataset.count,
        unplaced: +document.getElementById('map').dataset.unplaced,
        timeline: +document.getElementById('timeline').dataset.count,
        fatalities: +document.getElementById('timeline').dataset.fatalities,
        rows: document.querySelectorAll('#events tbody tr').length,
        mapPixels: document.getElementById('map').toDataURL(),
        timelinePixels: document.getElementById('timeline').toDataURL(),
    })"""
    )


def expected(output, where: str = "TRUE") -> dict:
    (row,) = parquet(
        output,
        "SELECT count(*), count(*) FILTER (latitude IS NOT NULL AND longitude IS NOT NULL), "
        "count(*) FILTER (event_date IS NOT NULL), coalesce(sum(fatalities), 0) FROM events WHERE " + where,
    )
    return {"shown": row[0], "table": row[0], "map": row[1], "unplaced": row[0] - row[1], "timeline": row[2]} | {
        "fatalities": row[3]
    }


def test_the_base_map_is_natural_earth_decoded_from_the_vendored_topojson():
    countries = country_outlines()
    assert len(countries) == 177
    names = {c["name"] for c in countries}
    assert {"Ukraine", "Sudan", "Brazil", "Myanmar", "Dem. Rep. Congo"} <= names
    ukraine = next(c for c in countries if c["name"] == "Ukraine")
    assert ukraine["id"] == "804"
    lons = [v / 10 for ring in ukraine["rings"] for v in ring[0::2]]
    lats = [v / 10 for ring in ukraine["rings"] for v in ring[1::2]]
    assert 22 < min(lons) < 23 and 40 < max(lons) < 41 and 44 < min(lats) < 46 and 52 < max(lats) < 53
    for c in countries:
        for ring in c["rings"]:
            assert ring[:2] == ring[-2:], f"{c['name']}: an unclosed ring"
    assert (ASSETS / "LICENSE-world-atlas.txt").exists() and "Natural Earth" in (ASSETS / "NOTICE.md").read_text()


def test_the_page_carries_the_cited_articles_only(output):
    payload = build_payload(load_output(str(output)), "t", {})
    cited = {a for (ids,) in parquet(output, "SELECT source_article_ids FROM events") for a in ids}
    assert len(payload["articles"]) == len(cited) and payload["counts"]["articles"] == len(cited) + 1
    assert "https://news.example/markets" not in {a[0] for a in payload["articles"]}


def test_the_page_references_nothing_outside_itself(report):
    html = report.read_text(encoding="utf-8")
    assert "default-src 'none'" in html  # the page's own policy forbids any fetch
    assert not re.search(r"<(link|img|iframe)\b", html)
    assert not re.search(r"""<script[^>]+src=""", html)
    assert "@import" not in html and "url(" not in html


def test_report_command_filters_by_date_and_country_and_errors_in_one_line(output, tmp_path, capsys):
    target = tmp_path / "r.html"
    assert main(["report", "--input", str(output), "--output", str(target), "--country", "sd"]) == 0
    sudan = parquet(output, "SELECT count(*) FROM events WHERE country = 'SD'")[0][0]
    assert f"report of {sudan} events" in capsys.readouterr().out
    counts = write_report(str(output), str(target), since=dt.date(2025, 1, 1), countries=("UA", "SD"))
    want = "event_date >= DATE '2025-01-01' AND country IN ('UA', 'SD')"
    assert counts["events"] == parquet(output, f"SELECT count(*) FROM events WHERE {want}")[0][0] > 0
    assert main(["report", "--input", str(tmp_path / "nothing"), "--output", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no output folder" in err
    assert main(["report", "--input", str(output), "--output", str(target), "--since", "May"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_page_loads_from_file_with_zero_network_requests(browser, report):
    page, requests = chromium_helper.open_report(browser, report)
    page.locator("#events tbody tr").first.click()
    page.select_option("#f-type", index=1)
    assert requests == []
    page.close()


def test_rendered_counts_equal_the_parquet_counts(browser, report, output):
    page, _ = chromium_helper.open_report(browser, report)
    drawn = counts(page)
    want = expected(output)
    assert want["shown"] == N_EVENTS and want["unplaced"] > 0  # the r0 version and the uncommitted r2 row are out
    assert {k: drawn[k] for k in want} == want
    assert drawn["rows"] == 50  # one page of the table
    feeds = page.locator("#feeds tbody tr")
    assert feeds.count() == 3
    assert page.locator("#feeds tbody tr.failing").count() == 1 and page.locator("#feeds tbody tr.notmod").count() == 1
    dead = [int(n) for n in page.locator("#dead tbody td.num").all_inner_texts()]
    assert sum(dead) == 4 and dead[0] == 2  # fetch/http_404 twice, first
    page.close()


def test_a_filter_changes_the_map_the_timeline_and_the_table_together(browser, report, output):
    page, _ = chromium_helper.open_report(browser, report)
    before = counts(page)
    page.select_option("#f-country", "SD")
    sudan = counts(page)
    assert {k: sudan[k] for k in expected(output)} == expected(output, "country = 'SD'")
    assert sudan["table"] < before["table"] and sudan["map"] < before["map"] and sudan["timeline"] < before["timeline"]
    assert sudan["mapPixels"] != before["mapPixels"] and sudan["timelinePixels"] != before["timelinePixels"]
    assert set(page.locator("#events tbody tr td:nth-child(2)").all_inner_texts()) == {"SD"}

    page.select_option("#f-type", "Battles")
    page.fill("#f-from", "2024-09-01")
    page.dispatch_event("#f-from", "change")
    both = counts(page)
    where = "country = 'SD' AND event_type = 'Battles' AND event_date >= DATE '2024-09-01'"
    assert {k: both[k] for k in expected(output)} == expected(output, where)
    assert both["table"] < sudan["table"]

    page.fill("#f-actor", "rapid support")
    actor = counts(page)
    where += " AND (actor1 ILIKE '%rapid support%' OR actor2 ILIKE '%rapid support%')"
    assert {k: actor[k] for k in expected(output)} == expected(output, where)

    page.click("#f-reset")
    assert counts(page)["table"] == before["table"]
    page.fill("#f-text", "el fasher")
    text = counts(page)
    want = expected(output, "(evidence ILIKE '%el fasher%' OR location_text ILIKE '%el fasher%')")
    assert {k: text[k] for k in want} == want
    page.close()


@pytest.mark.parametrize("which", ["report", "chunked_report"])
@pytest.mark.parametrize("pick", ["first", "last"])
def test_an_events_detail_shows_every_claim_with_its_evidence_and_sources(browser, output, request, which, pick):
    (event_id, claims, evidence, source_ids) = parquet(
        output,
        "SELECT event_id, claims, evidence, source_article_ids FROM events WHERE len(claims) = 3 "
        f"ORDER BY event_date {'DESC' if pick == 'first' else 'ASC'}, event_id {'ASC' if pick == 'first' else 'DESC'}",
    )[0]
    page, _ = chromium_helper.open_report(browser, request.getfixturevalue(which))
    page.fill("#f-text", event_id)
    assert counts(page)["table"] == 1
    page.locator("#events tbody tr").first.click()
    assert page.text_content("#detail-id") == event_id
    cards = page.locator("#claims .claim")
    assert cards.count() == len(claims) == 3
    for k, claim in enumerate(claims):
        card = cards.nth(k).inner_text()
        assert claim["claimed_by"] in card and claim["text"] in card
        killed = "–" if claim["fatalities"] is None else str(claim["fatalities"])
        wounded = "–" if claim["wounded"] is None else str(claim["wounded"])
        assert f"{killed} killed, {wounded} wounded" in card
    assert page.text_content("#evidence") == evidence
    hrefs = page.eval_on_selector_all("#sources a", "links => links.map(a => a.href)")
    con = duckdb.connect()
    urls = dict(con.execute(f"SELECT article_id, url FROM read_parquet('{output}/articles/*/*.parquet')").fetchall())
    assert hrefs == [urls[a] for a in source_ids]
    assert "Geo precision" in page.inner_text("#detail-body")
    page.close()


def test_a_screenshot_is_written(browser, report, tmp_path):
    page, _ = chromium_helper.open_report(browser, report)
    page.locator("#events tbody tr").nth(2).click()
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1400 and height > 1000 and len(data) > 50_000
    page.close()
