"""URL safety: pure checks on URLs and resolved addresses. No network, no DNS.

``fetch.py`` uses these twice for every hop (the first URL and each redirect target):

1. ``check_url(url, allow_private=...)`` before anything is sent: the scheme must be http or
   https, the host must be present, and a host that *is* an address (``127.0.0.1``,
   ``[::ffff:127.0.0.1]``, and legacy numeric forms such as ``2130706433``, ``0x7f.1`` or
   ``0177.0.0.1`` that resolvers still accept) or a ``localhost`` name is refused unless
   ``allow_private``.
2. ``check_address(address, url=..., allow_private=...)`` on every address the host name resolves
   to, inside the connector's resolver, so the connection goes to a checked address (no DNS
   rebinding between the check and the connect).

With ``allow_private`` everything is allowed except schemes other than http and https.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import yarl

from digests.errors import InvalidFeedURLError, UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
#: NAT64 well-known prefix: the low 32 bits are an IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL that passed ``check_url``: its scheme, its normalised host and port."""

    url: str
    scheme: str
    host: str
    port: int
    #: the host as an address when the URL names an address (any numeric form), else None
    address: IPAddress | None


def check_url(
    url: str, *, allow_private: bool = False, allow_hosts: frozenset[str] = frozenset()
) -> CheckedURL:
    """Validate ``url`` before fetching it; raise InvalidFeedURLError / UnsafeURLError.

    ``allow_hosts`` holds host names (normalised, see ``normalise_host``) exempt from the
    address checks, as if ``allow_private`` were on for them alone; the scheme check still applies.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidFeedURLError(url, f"{_short(url)} is not a valid web address.") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidFeedURLError(
            url, f"{_short(url)} is not a full web address; it should start with https://."
        )
    if scheme not in ALLOWED_SCHEMES:
        raise InvalidFeedURLError(
            url, f"Only http and https addresses can be fetched, not {scheme}: addresses."
        )
    host = wire_host(text) if parts.hostname else ""
    if not host:
        raise InvalidFeedURLError(url, f"{_short(url)} has no host name.")
    address = parse_host_address(host)
    if not allow_private and host not in allow_hosts:
        if address is not None:
            check_address(address, url=url)
        elif is_local_name(host):
            raise UnsafeURLError(
                url, f"{host} is this machine's own name, which newsdigest does not fetch."
            )
    default_port = 443 if scheme == "https" else 80
    return CheckedURL(
        url=text,
        scheme=scheme,
        host=host,
        port=port if port is not None else default_port,
        address=address,
    )


def check_address(address: str | IPAddress, *, url: str, allow_private: bool = False) -> None:
    """Raise UnsafeURLError unless ``address`` is a public unicast address (or allowed)."""
    if allow_private:
        return
    ip = address if not isinstance(address, str) else parse_host_address(address)
    if ip is None:
        raise UnsafeURLError(url, f"{_short(url)} resolved to something that is not an address.")
    reason = unsafe_reason(ip)
    if reason is not None:
        raise UnsafeURLError(
            url,
            f"That address points to {reason} ({ip}), which newsdigest does not fetch.",
        )


def unsafe_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched (a short phrase), or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return unsafe_reason(embedded)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "this machine (loopback)"
    if ip.is_link_local:
        return "a link-local network"
    if ip.is_multicast:
        return "a multicast group"
    if ip.is_private:
        return "a private network"
    if ip.is_reserved or not ip.is_global:
        return "a reserved network"
    return None


def is_public_address(ip: IPAddress) -> bool:
    return unsafe_reason(ip) is None


def wire_host(url: str) -> str:
    """The host as it goes on the wire, normalised the way aiohttp (yarl) will: Unicode digits
    and dots folded (``①②⑦.0.0.1``, ``127。0。0。1`` are 127.0.0.1), names IDNA-encoded, lower case,
    no trailing dot. Checks must see this form, not the text the user typed."""
    try:
        raw = yarl.URL(url).raw_host or ""
    except (ValueError, UnicodeError):
        return ""
    return normalise_host(raw)


def normalise_host(host: str) -> str:
    """Lower-cased host without brackets and without a trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def is_local_name(host: str) -> bool:
    name = normalise_host(host)
    return name in _LOCAL_NAMES or name.endswith(".localhost")


def parse_host_address(host: str) -> IPAddress | None:
    """The address a host string denotes, accepting legacy IPv4 forms; None for a name.

    ``2130706433``, ``0x7f000001``, ``0x7f.1``, ``127.1`` and ``0177.0.0.1`` are all
    127.0.0.1 to ``inet_aton`` (and so to many resolvers and browsers).
    """
    name = normalise_host(host)
    if not name:
        return None
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name.split("%", 1)[0])
        except ValueError:
            return None
    return _parse_legacy_ipv4(name)


def _parse_legacy_ipv4(name: str) -> ipaddress.IPv4Address | None:
    parts = name.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        value = _parse_ipv4_part(part)
        if value is None:
            return None
        numbers.append(value)
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _parse_ipv4_part(part: str) -> int | None:
    if not part or not part.isascii() or "_" in part:
        return None
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        if part.isascii() and part.isdigit():
            return int(part, 10)
    except ValueError:
        return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64, 6to4 or Teredo address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = int(ip)
    if ip in _NAT64:
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if packed >> 32 == 0 and packed > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


#: what a credential in a URL is replaced with (plain letters: safe inside markdown and links)
REDACTED = "redacted"
#: query parameter names (lower case, letters and digits only) that carry a credential
_SECRET_PARAMS = frozenset({"code", "pass", "sid", "sig", "ticket", "jwt"})
#: parts of a parameter name that mark a credential (``access_token``, ``X-Amz-Signature``)
_SECRET_WORDS = (
    "token",
    "secret",
    "passw",
    "pwd",
    "key",
    "signature",
    "auth",
    "session",
    "credential",
    "hash",
)
_DISPLAY_ESCAPES = str.maketrans(
    {"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E", "`": "%60", " ": "%20"}
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def redact_url(url: str) -> str:
    """``url`` as it may be shown to people or logged: a user name and password become
    ``redacted@`` and the value of every query (and fragment) parameter that looks like a
    credential (``token=``, ``key=``, ``apikey=``, ``secret=``, ``password=``, ``sig=`` …) becomes
    ``redacted``. Brackets, parentheses, angle brackets, backticks and spaces after the host are
    percent-encoded (the same address) so that a URL shown in markdown cannot end a link early
    and inject another one. Everything else is kept as written, so the feed stays
    recognisable. Fetching always uses the real URL; this is only for display."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return _redact_unparsed(text)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path.translate(_DISPLAY_ESCAPES),
            _redact_params(parts.query).translate(_DISPLAY_ESCAPES),
            _redact_params(parts.fragment).translate(_DISPLAY_ESCAPES),
        )
    )


def redact_urls_in(text: str) -> str:
    """``text`` (an error message, say) with every URL in it passed through ``redact_url``."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group()), text)


def has_credentials(url: str) -> bool:
    """Whether ``redact_url`` would hide anything in ``url`` (user info or a secret parameter)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return True
    return (
        "@" in parts.netloc
        or _redact_params(parts.query) != parts.query
        or _redact_params(parts.fragment) != parts.fragment
    )


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name carries a credential."""
    key = _NON_ALNUM.sub("", unquote_plus(name).lower())
    return key in _SECRET_PARAMS or any(word in key for word in _SECRET_WORDS)


def _redact_params(query: str) -> str:
    if not query:
        return query
    pieces = re.split(r"([&;])", query)
    out: list[str] = []
    for piece in pieces:
        name, eq, value = piece.partition("=")
        if eq and value and is_secret_param(name):
            piece = f"{name}={REDACTED}"
        out.append(piece)
    return "".join(out)


def _redact_unparsed(text: str) -> str:
    """A URL ``urlsplit`` rejects (a bad IPv6 literal, say): hide user info and every query."""
    head = text.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = head.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = f"{REDACTED}@{rest.split('@', 1)[1]}"
    shown = f"{scheme}{sep}{rest}"
    return shown + (f"?{REDACTED}" if len(head) < len(text) else "")


def _short(url: str, limit: int = 80) -> str:
    text = redact_url(url)
    return text if len(text) <= limit else text[: limit - 1] + "…"
