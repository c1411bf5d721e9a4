"""URL safety: pure checks, no network."""

from __future__ import annotations

import ipaddress

import pytest

from digests.errors import InvalidFeedURLError, UnsafeURLError
from digests.feeds.urlsafety import (
    check_address,
    check_url,
    parse_host_address,
    redact_url,
    redact_urls_in,
)

REFUSED = [
    "http://127.0.0.1/feed",
    "http://127.8.9.10/",
    "http://localhost/feed",
    "http://LOCALHOST./feed",
    "http://intranet.localhost:8080/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/rss",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "https://user:pw@127.0.0.1:8443/x",
    "http://①②⑦.0.0.1/",
    "http://１２７.０.０.１/",
    "http://127。0。0。1/",
    "http://ｌｏｃａｌｈｏｓｔ/",
]

ALLOWED = [
    "https://example.com/feed.xml",
    "http://news.example.org:8080/rss?x=1",
    "http://93.184.216.34/",
    "http://[2606:4700:4700::1111]/",
    "http://134744072/",  # 8.8.8.8 in its numeric form is public
    "HTTPS://Example.COM./",
    "http://bücher.example/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        check_url(url)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    assert "newsdigest does not fetch" in message


@pytest.mark.parametrize("url", REFUSED)
def test_allow_private_allows_every_http_address(url: str) -> None:
    assert check_url(url, allow_private=True).scheme in {"http", "https"}


@pytest.mark.parametrize("url", ALLOWED)
def test_public_addresses_pass(url: str) -> None:
    checked = check_url(url)
    assert checked.scheme in {"http", "https"}
    assert checked.host == checked.host.lower() and not checked.host.endswith(".")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "example.com/feed",
        "http://",
        "http://[::1/",
        "http://example.com:99999/",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_bad_urls_are_refused_even_with_private_allowed(url: str, allow_private: bool) -> None:
    with pytest.raises(InvalidFeedURLError) as info:
        check_url(url, allow_private=allow_private)
    assert not isinstance(info.value, UnsafeURLError)
    assert str(info.value).endswith(".")


def test_allow_hosts_exempts_only_the_named_host() -> None:
    allowed = frozenset({"localhost"})
    assert check_url("http://localhost:8080/", allow_hosts=allowed).port == 8080
    with pytest.raises(UnsafeURLError):
        check_url("http://127.0.0.1:8080/", allow_hosts=allowed)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("08.1.1.1", None),
        ("4294967296", None),
    ],
)
def test_numeric_host_forms(host: str, expected: str | None) -> None:
    parsed = parse_host_address(host)
    assert parsed == (ipaddress.ip_address(expected) if expected else None)


def test_check_address_names_the_reason() -> None:
    with pytest.raises(UnsafeURLError, match="link-local"):
        check_address("169.254.169.254", url="http://metadata/")
    with pytest.raises(UnsafeURLError, match="private network"):
        check_address("192.168.0.10", url="http://router/")
    check_address("93.184.216.34", url="http://example.com/")
    check_address("127.0.0.1", url="http://x/", allow_private=True)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://news.example/feed.xml", "https://news.example/feed.xml"),
        ("https://user:pw@news.example/rss", "https://redacted@news.example/rss"),
        (
            "https://news.example/rss?token=abc&page=2",
            "https://news.example/rss?token=redacted&page=2",
        ),
        (
            "https://n.example/?key=1&apikey=2&api_key=3",
            "https://n.example/?key=redacted&apikey=redacted&api_key=redacted",
        ),
        (
            "https://n.example/?secret=1;password=2",
            "https://n.example/?secret=redacted;password=redacted",
        ),
        (
            "https://n.example/?sig=1&X-Amz-Signature=2&access_token=3",
            "https://n.example/?sig=redacted&X-Amz-Signature=redacted&access_token=redacted",
        ),
        ("https://n.example/feed#auth=1", "https://n.example/feed#auth=redacted"),
        ("https://n.example/?token=", "https://n.example/?token="),
        (
            "https://n.example/a)[x](https://evil.example)",
            "https://n.example/a%29%5Bx%5D%28https://evil.example%29",
        ),
        ("http://[::1/feed?token=1", "http://[::1/feed?redacted"),
    ],
)
def test_redact_url_hides_credentials_and_keeps_the_rest(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_error_messages_name_urls_without_their_credentials() -> None:
    with pytest.raises(InvalidFeedURLError) as caught:
        check_url("https://user:pw@[bad/feed?token=abc")
    assert "pw" not in caught.value.message and "abc" not in caught.value.message
    text = "Cannot reach https://u:pw@h.example/x?token=abc, nor (http://h.example/?key=k)."
    assert redact_urls_in(text) == (
        "Cannot reach https://redacted@h.example/x?token=redacted, "
        "nor (http://h.example/?key=redacted)."
    )
