"""Outbound URLs a shop names (its webhooks) must not reach our own network: a URL is
refused when any address its name resolves to is loopback, private, link-local (the cloud
metadata address 169.254.169.254 among them), multicast, reserved or otherwise not global.

Checked when the URL is saved and again at every send, and the send connects to the very
address that was checked (the Host header and TLS SNI/certificate name stay the URL's
name): a name that resolved to a public address at save time and to 127.0.0.1 now
(DNS rebinding) is refused, and a resolver answering differently between the check and
the connect cannot slip a private address in.

The resolver is a plain function (Services.resolve) so tests inject names of their own
without touching the socket module."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InvalidInput
from core.wording import N_

Resolver = Callable[[str, int], list[str]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 500


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UnsafeUrl(InvalidInput):
    code = "unsafe_url"


@dataclass(frozen=True)
class CheckedUrl:
    """A URL and the one address it may be reached at."""

    url: str
    scheme: str
    host: str  # the name, for Host and SNI
    port: int
    address: str  # the checked IP to connect to
    target: str  # path and query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway or the host may reach:
# IPv4-compatible (::a.b.c.d, RFC 4291 2.5.5.1), SIIT IPv4-translated (::ffff:0:a.b.c.d,
# RFC 2765), NAT64 well-known and local-use (64:ff9b::/96 RFC 6052, 64:ff9b:1::/48 RFC 8215).
_WRAPS_LAST_32 = [ipaddress.IPv6Network(n) for n in
                  ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")]


def _wrapped_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 form carries: mapped (::ffff:a.b.c.d), 6to4
    (2002:AABB:CCDD::/16), Teredo (server and client) and the prefixes above."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _WRAPS_LAST_32) and int(address) > 1:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _forbidden(address: Address, allowed: Iterable[Network]) -> bool:
    allowed = list(allowed)
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = _wrapped_ipv4(address)
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
        elif any(_forbidden(inner, allowed) for inner in wrapped):
            return True  # [::127.0.0.1], 64:ff9b::7f00:1, 2002:7f00:1:: reach 127.0.0.1
    if any(address in network for network in allowed):
        return False
    return not address.is_global or address.is_multicast


def _networks(names: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(name, strict=False) for name in names]


def check_url(url: str, *, resolve: Resolver, allow_http: bool = False,
              allow_networks: Iterable[str] = ()) -> CheckedUrl:
    """The URL with the address to connect to, or UnsafeUrl saying why not. http only when
    `allow_http` (the sandbox, i.e. local) or every address is in `allow_networks` (a local
    receiver the operator named)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise UnsafeUrl(N_("Give a URL of at most %(most)s characters.", most=MAX_URL))
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(N_("That is not a valid URL.")) from exc
    if parts.scheme not in ("https", "http"):
        raise UnsafeUrl(N_("The URL must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(N_("Put credentials in the webhook secret, not in the URL."))
    host = (parts.hostname or "").rstrip(".")
    if not host or any(ch.isspace() or ord(ch) < 33 for ch in host):
        raise UnsafeUrl(N_("The URL has no host name."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            host.encode("idna")
            addresses = resolve(host, port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnsafeUrl(N_("The host name %(host)s does not resolve.", host=host)) from exc
    if not addresses:
        raise UnsafeUrl(N_("The host name %(host)s does not resolve.", host=host))
    allowed = _networks(allow_networks)
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError as exc:
            raise UnsafeUrl(N_("%(host)s resolves to something that is not an address.",
                               host=host)) from exc
        if _forbidden(address, allowed):
            if literal is not None:
                raise UnsafeUrl(N_("%(host)s is a loopback, private, link-local or metadata "
                                   "address; webhooks go only to public addresses.", host=host))
            raise UnsafeUrl(N_("%(host)s resolves to %(address)s, a loopback, private, "
                               "link-local or metadata address; webhooks go only to public "
                               "addresses.", host=host, address=address))
    if parts.scheme == "http" and not allow_http and not all(
            any(ipaddress.ip_address(a.split("%")[0]) in n for n in allowed) for a in addresses):
        raise UnsafeUrl(N_(
            "The URL must start with https:// (http only for a local receiver)."))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedUrl(url=url.strip(), scheme=parts.scheme, host=host, port=port,
                      address=addresses[0].split("%")[0], target=target)
