"""What a run needs to know of earlier runs, read back from what they wrote (so it works on a folder or a bucket)."""

from __future__ import annotations

import datetime as dt

from transforms.sinks import read_rows


def previous_state(output: str, lookback_days: int, run_id: str) -> tuple[dict, frozenset[str]]:
    """What earlier runs wrote that this run needs: feeds' validators and the items already processed.

    Rows of this same run id are left out: a retried run redoes its slot instead of skipping its own items.
    """
    since = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=lookback_days)).isoformat()
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    feed_state: dict = {}
    status = read_rows(output, "feed_status", ["feed_url", "etag", "last_modified", "fetched_at", "run_id"], since)
    if status is not None:
        rows = [r for r in status.to_pylist() if r["run_id"] != run_id]
        for row in sorted(rows, key=lambda r: r["fetched_at"] or earliest):
            if row["etag"] or row["last_modified"]:
                feed_state[row["feed_url"]] = (row["etag"], row["last_modified"])
    seen: set[str] = set()
    articles = read_rows(output, "articles", ["article_id", "run_id"], since)
    if articles is not None:
        seen.update(r["article_id"] for r in articles.to_pylist() if r["run_id"] != run_id)
    return feed_state, frozenset(seen)
