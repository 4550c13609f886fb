"""Canonical URLs and stable item ids: the same story reached by different links must get one id.

`canonicalize` is pure (no network): it unwraps redirect wrappers whose target is written in the link itself
(Google's `url=`/`q=` redirects, Google News article ids of the older, decodable kind, Facebook's `l.php?u=`),
lower-cases scheme and host, drops default ports, fragments and tracking parameters, sorts the query and normalises
the path. Wrappers that hide their target (FeedBurner `~r/` links, newer Google News ids) are left alone; the fetch
stage follows their redirect and the page's `<link rel=canonical>` wins downstream.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from transforms.base import stable_id

# Query parameters that identify a campaign or a click, never the content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "spm",
        "sr_share",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "cmp",
        "cmpid",
        "ito",
        "ocid",
        "soc_src",
        "soc_trk",
        "ref_src",
        "ref_url",
        "smid",
        "smtyp",
        "__twitter_impression",
        "feature",
        "trk",
        "trkcampaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "ga_", "hmb_", "at_")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Redirect wrappers that carry their target in a query parameter: host (suffix) -> parameter names, in order.
_WRAPPER_PARAMS: dict[str, tuple[str, ...]] = {
    "google.com": ("url", "q"),
    "news.google.com": ("url",),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
}
_WRAPPER_PATHS = ("/url", "/news/url", "/l.php", "/redirect", "/")
_URL_IN_BYTES = re.compile(rb"https?://[\x21-\x7e]+")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")


def is_http_url(value: str | None) -> bool:
    if not value:
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def unwrap_redirect(url: str) -> str:
    """The target of a redirect wrapper when the wrapper states it; the URL unchanged otherwise."""
    for _ in range(3):  # wrappers nest (a Google redirect to a Facebook redirect ...), but not deeply
        target = _unwrap_once(url)
        if target is None or target == url:
            return url
        url = target
    return url


def _unwrap_once(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host == "news.google.com" and "/articles/" in parts.path:
        return _decode_google_news_id(parts.path.rsplit("/", 1)[-1])
    for suffix, names in _WRAPPER_PARAMS.items():
        if host != suffix and not host.endswith("." + suffix):
            continue
        if suffix == "google.com" and host not in ("google.com", "www.google.com"):
            continue
        if parts.path not in _WRAPPER_PATHS:
            continue
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        for name in names:
            if is_http_url(params.get(name)):
                return params[name].strip()
    return None


def _decode_google_news_id(article_id: str) -> str | None:
    # Older Google News ids ("CBMi...") are base64url protobufs that contain the article URL verbatim; newer ones
    # ("CBMiAU_yqL...") are opaque and only the redirect tells.
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    match = _URL_IN_BYTES.search(raw)
    if not match:
        return None
    candidate = match.group(0).decode("ascii")
    return candidate if is_http_url(candidate) else None


def _normalise_percent(text: str) -> str:
    # Upper-case escapes and decode the ones for unreserved characters, so %7e and ~ compare equal.
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PCT.sub(fix, text)


def _normalise_path(path: str) -> str:
    if not path:
        return "/"
    path = quote(_normalise_percent(path), safe="/%:@!$&'()*+,;=-._~")
    segments: list[str] = []
    for segment in path.split("/")[1:] if path.startswith("/") else path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    normalised = "/" + "/".join(segments)
    if path.endswith(("/.", "/..")) and not normalised.endswith("/"):
        normalised += "/"
    return normalised


def _is_tracking(key: str) -> bool:
    name = unquote(key).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _host_for_url(host: str) -> str:
    host = host.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def canonicalize(url: str) -> str:
    """A canonical form of an http(s) URL; anything unparsable comes back stripped but otherwise unchanged."""
    url = unwrap_redirect(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    netloc = _host_for_url(parts.hostname)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    pairs = [pair for pair in parts.query.split("&") if pair]
    kept = sorted(pair for pair in pairs if not _is_tracking(pair.split("=", 1)[0]))
    query = "&".join(_normalise_percent(pair) for pair in kept)
    return urlunsplit((scheme, netloc, _normalise_path(parts.path), query, ""))


def item_id_for(url: str | None, guid: str | None, feed_url: str) -> str:
    """Stable id of a feed item: its canonical link, else its GUID when that is a permalink, else feed + GUID."""
    if is_http_url(url):
        return stable_id(canonicalize(url))  # type: ignore[arg-type]
    guid = (guid or "").strip()
    if is_http_url(guid):
        return stable_id(canonicalize(guid))
    if guid:
        return stable_id(canonicalize(feed_url), guid)
    raise ValueError("an item needs a link or a guid to have an id")
