"""URL canonicalisation and item ids: the same story through different links gets one id."""

from __future__ import annotations

import pytest

from transforms.urls import canonicalize, is_http_url, item_id_for, unwrap_redirect


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("HTTP://News.Example.ORG/world", "http://news.example.org/world"),
        ("https://news.example.org:443/a", "https://news.example.org/a"),
        ("http://news.example.org:80/a", "http://news.example.org/a"),
        ("http://news.example.org:8080/a", "http://news.example.org:8080/a"),
        ("https://news.example.org/a#comments", "https://news.example.org/a"),
        ("https://news.example.org", "https://news.example.org/"),
        ("https://news.example.org/a/./b/../c", "https://news.example.org/a/c"),
        ("https://news.example.org/%7Euser/caf%c3%a9", "https://news.example.org/~user/caf%C3%A9"),
        ("https://news.example.org/a?z=1&a=2", "https://news.example.org/a?a=2&z=1"),
        ("  https://news.example.org/a  ", "https://news.example.org/a"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
    ],
)
def test_canonical_form(raw, canonical):
    assert canonicalize(raw) == canonical


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=rss",
        "utm_medium=feed",
        "UTM_Campaign=x",
        "fbclid=abc",
        "gclid=1",
        "mc_cid=2",
        "mc_eid=3",
        "msclkid=4",
        "_ga=5",
        "CMP=twt_gu",
        "at_medium=RSS",
        "ns_source=x",
        "ito=1",
        "yclid=9",
    ],
)
def test_tracking_parameters_are_stripped(param):
    assert canonicalize(f"https://news.example.org/a?id=7&{param}") == "https://news.example.org/a?id=7"


def test_content_parameters_survive():
    assert (
        canonicalize("https://news.example.org/article.php?id=42&page=2")
        == "https://news.example.org/article.php?id=42&page=2"
    )


def test_canonicalize_is_idempotent():
    once = canonicalize("HTTPS://News.Example.org:443/x/../a?utm_source=y&b=2&a=1#f")
    assert canonicalize(once) == once


def test_google_redirect_is_unwrapped():
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://news.example.org/a%3Futm_source%3Dg&ct=ga"
    assert canonicalize(wrapped) == "https://news.example.org/a"


def test_facebook_link_shim_is_unwrapped():
    assert (
        unwrap_redirect("https://l.facebook.com/l.php?u=https%3A%2F%2Fnews.example.org%2Fb&h=AT0")
        == "https://news.example.org/b"
    )


def test_old_style_google_news_id_is_decoded():
    url = (
        "https://news.google.com/rss/articles/"
        "CBMiSGh0dHBzOi8vd3d3LnJldXRlcnMuY29tL3dvcmxkL2FmcmljYS9zdWRhbi1maWdodGluZy0yMDI0LTAxLTAxL9IBAA?oc=5"
    )
    assert canonicalize(url) == "https://www.reuters.com/world/africa/sudan-fighting-2024-01-01/"


def test_opaque_proxy_links_are_left_for_the_fetcher():
    feedburner = "http://feedproxy.google.com/~r/Example/~3/AbCdEf/story.html"
    assert canonicalize(feedburner) == feedburner
    assert canonicalize("https://news.google.com/rss/articles/CBMiAU_yqLNotDecodable?oc=5").startswith(
        "https://news.google.com/rss/articles/"
    )


def test_non_http_urls_are_returned_unchanged():
    assert canonicalize("mailto:desk@example.org") == "mailto:desk@example.org"
    assert not is_http_url("javascript:alert(1)")
    assert not is_http_url("https://")


def test_item_id_is_the_same_for_link_and_permalink_guid():
    by_link = item_id_for("https://news.example.org/a?utm_source=rss", "tag:example,2026:1", "https://f.example/rss")
    by_guid = item_id_for(None, "https://news.example.org/a", "https://other.example/rss")
    assert by_link == by_guid


def test_item_id_for_opaque_guid_depends_on_the_feed():
    assert item_id_for(None, "12345", "https://a.example/rss") != item_id_for(None, "12345", "https://b.example/rss")
    assert item_id_for(None, "12345", "https://a.example/rss") == item_id_for(None, "12345", "https://A.example/rss")


def test_item_without_link_or_guid_has_no_id():
    with pytest.raises(ValueError):
        item_id_for(None, None, "https://a.example/rss")
