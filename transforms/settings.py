"""Every tunable of the HTTP layer (feed polling and page fetching), in one picklable settings object.

The defaults are what a polite, modest crawler of news sites should do; tests and benchmarks override them with
`dataclasses.replace` (shorter timeouts, no delays, `allow_hosts=("localhost",)`).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "conflictwire/0.1 (+https://github.com/conflictwire/conflictwire)"

# Substrings of a Content-Type accepted as a feed. Feeds are served with a zoo of types (text/xml, application/rss+xml,
# application/atom+xml, application/rdf+xml, text/plain, even text/html), so this is deliberately broad: it exists to
# refuse what is certainly not a feed (images, video, PDF, archives).
FEED_CONTENT_TYPES = ("xml", "rss", "atom", "rdf", "text/plain", "text/html", "application/octet-stream")
# Substrings of a Content-Type accepted as a news page.
PAGE_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


@dataclass(frozen=True)
class FetchSettings:
    """Politeness, timeouts, size caps and retry policy for `transforms.http.HttpClient`.

    Frozen and made only of str/int/float/bool/tuple fields so that it pickles to Beam workers unchanged.
    """

    # Sent on every request and matched against robots.txt (the product token before "/", i.e. "conflictwire").
    user_agent: str = DEFAULT_USER_AGENT
    # Seconds to establish a TCP/TLS connection.
    connect_timeout_s: float = 10.0
    # Seconds the server may stay silent between two reads.
    read_timeout_s: float = 20.0
    # Seconds of network time one GET may take in all: connecting, headers, every redirect hop and retry, and the
    # body. Enforced by a watchdog that shuts the socket, so a server dripping a header line or a body byte at a time
    # cannot hold a worker past it (politeness and backoff waits, which the client imposes itself, are not charged).
    total_timeout_s: float = 60.0
    # Largest feed document accepted, compressed and decompressed alike (a gzip bomb is stopped at this size).
    max_feed_bytes: int = 10 * 1024 * 1024
    # Largest page accepted, compressed and decompressed alike.
    max_page_bytes: int = 5 * 1024 * 1024
    # Largest robots.txt read; Google reads 500 KiB and ignores the rest, so do we.
    max_robots_bytes: int = 512 * 1024
    # Redirect hops followed before giving up (each hop passes the SSRF guard and robots.txt).
    max_redirects: int = 5
    feed_content_types: tuple[str, ...] = FEED_CONTENT_TYPES
    page_content_types: tuple[str, ...] = PAGE_CONTENT_TYPES
    # A response without a Content-Type header is accepted (many small sites send none).
    allow_missing_content_type: bool = True
    # Honour robots.txt (RFC 9309): 4xx means no rules, 5xx or unreachable means "disallow all" for a while.
    respect_robots: bool = True
    # Seconds a host's robots.txt is cached before it is read again.
    robots_cache_s: float = 3600.0
    # Minimum seconds between two requests to the same host (robots.txt Crawl-delay raises it, never lowers it).
    min_host_interval_s: float = 1.0
    # Upper bound on a robots.txt Crawl-delay we honour; a site asking for an hour between requests gets this.
    max_crawl_delay_s: float = 30.0
    # Requests in flight to one host at a time, per worker.
    max_connections_per_host: int = 2
    # Threads a fetching DoFn uses to work on different hosts at once.
    worker_threads: int = 8
    # Pages of one host handed to a thread at a time: small, so no element holds a whole host's pages
    # (memory stays flat on large runs) and extraction starts while the rest of a host is being fetched.
    fetch_chunk: int = 8
    # Retries after a retryable failure (statuses below, connection errors); 0 disables retrying.
    retries: int = 2
    retry_statuses: tuple[int, ...] = (429, 500, 502, 503, 504)
    # Exponential backoff: backoff_base_s * 2**attempt, capped at max_backoff_s.
    backoff_base_s: float = 1.0
    max_backoff_s: float = 30.0
    # A Retry-After (429/503) longer than this is capped to it, so one host cannot stall a worker.
    max_retry_after_s: float = 60.0
    # Random extra fraction (0..jitter) added to every backoff so retries from many workers do not align.
    jitter: float = 0.2
    # Hosts let through the SSRF guard even though they resolve to a non-public address (e.g. "localhost" in tests).
    allow_hosts: tuple[str, ...] = ()
    # Fetch from the allowed hosts only, refusing every other host without a DNS lookup (reason
    # `host_not_allowed`): a crawl confined to named sites, or a run that must not touch the network.
    only_allowed_hosts: bool = False

    def __post_init__(self) -> None:
        for name in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in (
            "max_feed_bytes",
            "max_page_bytes",
            "max_robots_bytes",
            "max_connections_per_host",
            "worker_threads",
            "fetch_chunk",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("max_redirects", "retries", "min_host_interval_s", "backoff_base_s", "jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if isinstance(self.allow_hosts, str):
            raise TypeError("allow_hosts must be a tuple of host names, not a string")

    def max_bytes(self, kind: str) -> int:
        return {"feed": self.max_feed_bytes, "robots": self.max_robots_bytes}.get(kind, self.max_page_bytes)

    def content_types(self, kind: str) -> tuple[str, ...] | None:
        """Accepted Content-Type substrings for a kind of request; None accepts anything."""
        return {"feed": self.feed_content_types, "page": self.page_content_types}.get(kind)
