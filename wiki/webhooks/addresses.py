"""Which webhook URLs the wiki may POST to: http(s) to public addresses only.

A webhook makes the server send requests where an admin says, so a URL must not reach the
server's own neighbourhood (server-side request forgery): loopback, private networks, link-local
addresses and cloud metadata services. The host name is resolved and *every* address it has is
checked, at registration and again before each delivery, and the delivery connects to an address
checked then (no second lookup for a DNS rebinding to change). ``WEBHOOKS_ALLOW_PRIVATE`` lets
private and loopback addresses through (tests, intranets); link-local and metadata addresses are
refused always. Standard library only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from ..errors import N_, WikiError

MAX_URL_LENGTH = 2000
# Cloud metadata services (all link-local or private, listed so that the message names them).
METADATA_HOSTS = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "metadata.azure.com", "metadata.packet.net",
    "instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(value) for value in (
    "169.254.169.254", "169.254.170.2", "169.254.169.123", "fd00:ec2::254", "fd00:ec2::23",
    "100.100.100.200", "192.0.0.192", "168.63.129.16",
))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UnsafeWebhookURL(WikiError):
    """A webhook URL the wiki refuses to send to (scheme, form, or where it points)."""

    code = 400


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, all allowed) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, its host (lowercase, without IPv6 brackets) and port; raise when malformed."""
    url = url.strip()
    if not url:
        raise UnsafeWebhookURL(N_("Enter the address to send events to."))
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookURL(N_("The webhook address is longer than %(limit)s characters."), limit=MAX_URL_LENGTH)
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise UnsafeWebhookURL(N_("The webhook address may not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookURL(N_("The webhook address is not a valid URL.")) from error
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeWebhookURL(N_("A webhook address must start with http:// or https://."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookURL(N_("A webhook address may not contain a user name or password; "
                                  "the secret signs each request instead."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeWebhookURL(N_("The webhook address has no host name."))
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    if port == 0:
        raise UnsafeWebhookURL(N_("The webhook address is not a valid URL."))
    return parts, host, port


def _networks(*values: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(value) for value in values)


# Never reachable (whatever the setting): unspecified / "this network", link-local, multicast.
NEVER = _networks("0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "::/128", "fe80::/10", "ff00::/8")
# Not globally reachable (IANA special-purpose registries, RFC 6890 and updates), written out rather
# than taken from ``ipaddress.is_global``, whose lists differ between Python patch releases.
IPV4_NOT_GLOBAL = _networks(
    "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
)
IPV4_GLOBAL_EXCEPTIONS = _networks("192.0.0.9/32", "192.0.0.10/32")  # PCP and TURN anycast
BROADCAST = ipaddress.IPv4Address("255.255.255.255")
# IPv6: only 2000::/3 is global unicast (everything else: loopback, unique-local fc00::/7, site-local
# fec0::/10, discard 100::/64, SRv6 5f00::/16, reserved), minus these:
IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
IPV6_NOT_GLOBAL = _networks("2001::/23", "2001:db8::/32", "3fff::/20")
IPV6_GLOBAL_EXCEPTIONS = _networks(  # inside 2001::/23 but globally reachable
    "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28",
    "2001:30::/28",
)
# IPv6 prefixes that carry an IPv4 address, and where (RFC 4291, 2765, 6052, 8215, 3056, 4380).
IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # the operator picks the prefix length: /48 ... /96
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
TEREDO = ipaddress.ip_network("2001::/32")
RANK = {"public": 0, "private": 1, "forbidden": 2}


def classify(address: Address) -> str:
    """``"public"``, ``"private"`` (loopback, private networks and other addresses that are not
    globally reachable: allowed by the setting) or ``"forbidden"`` (link-local, metadata,
    multicast, unspecified: never). An IPv6 address that carries an IPv4 address (mapped,
    compatible, SIIT, NAT64, 6to4, Teredo) is judged by that IPv4 address too, and by the worst of
    them when the position is not known (local-use NAT64)."""
    if address in METADATA_ADDRESSES or any(address in network for network in NEVER):
        return "forbidden"
    embedded = embedded_ipv4(address)
    if embedded:
        floor = "private" if address in NAT64_LOCAL_USE else "public"
        return max((floor, *(classify(inner) for inner in embedded)), key=RANK.__getitem__)
    return "public" if _globally_reachable(address) else "private"


def _globally_reachable(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        if any(address in network for network in IPV4_GLOBAL_EXCEPTIONS):
            return True
        return not any(address in network for network in IPV4_NOT_GLOBAL) and address != BROADCAST
    if address not in IPV6_GLOBAL_UNICAST:
        return False
    if any(address in network for network in IPV6_GLOBAL_EXCEPTIONS):
        return True
    return not any(address in network for network in IPV6_NOT_GLOBAL)


def embedded_ipv4(address: Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address reaches or carries (empty when it carries none): every
    place it may sit for a local-use NAT64 prefix, Teredo's server and client."""
    if not isinstance(address, ipaddress.IPv6Address):
        return ()
    value = int(address)
    if address in IPV4_MAPPED or address in IPV4_TRANSLATED or address in NAT64_WELL_KNOWN:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if address in IPV4_COMPATIBLE and value > 1:  # ``::a.b.c.d``; ``::`` and ``::1`` are themselves
        return (ipaddress.IPv4Address(value),)
    if address in NAT64_LOCAL_USE:
        return tuple(dict.fromkeys(_rfc6052(value, length) for length in (48, 56, 64, 96)))
    if address in SIX_TO_FOUR:
        return (ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF),)
    if address in TEREDO:
        server, client = address.teredo or (None, None)
        return tuple(found for found in (server, client) if found is not None)
    return ()


def _rfc6052(value: int, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address inside an IPv4-embedded IPv6 address with a prefix of ``prefix_length`` bits
    (RFC 6052 section 2.2: bits 64 to 71 are skipped)."""
    bits = f"{value:0128b}"
    payload = (bits[prefix_length:64] + bits[72:])[:32] if prefix_length < 96 else bits[96:]
    return ipaddress.IPv4Address(int(payload, 2))


def check(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """The checked target of ``url``; raise :class:`UnsafeWebhookURL` with the reason otherwise."""
    parts, host, port = parse(url)
    if host.lower() in METADATA_HOSTS:
        raise UnsafeWebhookURL(N_("%(host)s is a cloud metadata service; webhooks are never sent there."),
                               host=host)
    try:
        literal: Address | None = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = resolve(host, port)
        except (OSError, UnicodeError):
            found = []
        if not found:
            raise UnsafeWebhookURL(N_("The host name %(host)s cannot be resolved."), host=host)
    for value in found:
        address = ipaddress.ip_address(value.split("%", 1)[0])
        kind = classify(address)
        if kind == "forbidden":
            raise UnsafeWebhookURL(N_("%(host)s points at %(address)s, a link-local, cloud metadata, multicast or "
                                      "unspecified address (or one that carries such an IPv4 address); webhooks "
                                      "are never sent there."), host=host, address=str(address))
        if kind == "private" and not allow_private:
            raise UnsafeWebhookURL(N_("%(host)s points at %(address)s, a private or loopback address; webhooks "
                                      "are sent there only when the setting WEBHOOKS_ALLOW_PRIVATE is on."),
                                   host=host, address=str(address))
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=parts.scheme.lower(), host=host, port=port, path=path, addresses=tuple(found))
