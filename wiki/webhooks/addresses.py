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


def classify(address: Address) -> str:
    """``"public"``, ``"private"`` (loopback, private networks: allowed by the setting) or
    ``"forbidden"`` (link-local, metadata, multicast, unspecified: never)."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return classify(embedded)
    if address in METADATA_ADDRESSES or address.is_link_local or address.is_multicast or address.is_unspecified:
        return "forbidden"
    if address.is_global:
        return "public"
    return "private"


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 IPv6 address (it reaches that host)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


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
            raise UnsafeWebhookURL(N_("%(host)s points at %(address)s, a link-local or cloud metadata address; "
                                      "webhooks are never sent there."), host=host, address=str(address))
        if kind == "private" and not allow_private:
            raise UnsafeWebhookURL(N_("%(host)s points at %(address)s, a private or loopback address; webhooks "
                                      "are sent there only when the setting WEBHOOKS_ALLOW_PRIVATE is on."),
                                   host=host, address=str(address))
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=parts.scheme.lower(), host=host, port=port, path=path, addresses=tuple(found))
