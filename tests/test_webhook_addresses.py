"""Webhook addresses (issue 24, item 6): every IPv6 form that carries or translates to an IPv4
address is judged by that address, and every IPv6 range that is not globally reachable is refused,
whatever Python's ``ipaddress`` lists say in this patch release."""

from __future__ import annotations

import ipaddress

import pytest

from wiki.webhooks.addresses import UnsafeWebhookURL, check, classify, embedded_ipv4

METADATA = "169.254.169.254"


def refused(url: str, *, allow_private: bool) -> str:
    """The refusal's message for ``url`` given as a literal address ('' when it is accepted)."""
    try:
        check(url, allow_private=allow_private, resolve=lambda host, port: [])
    except UnsafeWebhookURL as error:
        return str(error)
    return ""


# Forms of the metadata address 169.254.169.254 (a9fe:a9fe), each of which reaches it somewhere.
METADATA_FORMS = [
    "::ffff:169.254.169.254",           # IPv4-mapped (RFC 4291)
    "::ffff:a9fe:a9fe",                 # the same, in hexadecimal
    "::169.254.169.254",                # IPv4-compatible (deprecated, RFC 4291)
    "::a9fe:a9fe",
    "::ffff:0:169.254.169.254",         # SIIT IPv4-translated (RFC 2765)
    "64:ff9b::169.254.169.254",         # NAT64 well-known prefix (RFC 6052)
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a9fe:a9fe",             # local-use NAT64 (RFC 8215), a /96 prefix
    "64:ff9b:1:a9fe:a9:fe00::",         # the same with a /48 prefix (bits 64-71 skipped)
    "64:ff9b:1:a9:fe:a9fe::",           # ... with a /56 prefix
    "64:ff9b:1:0:a9:fea9:fe00:0",       # ... with a /64 prefix
    "2002:a9fe:a9fe::1",                # 6to4 (RFC 3056)
    "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo (RFC 4380): client 169.254.169.254, bits inverted
]


@pytest.mark.parametrize("literal", METADATA_FORMS)
def test_every_ipv6_form_of_the_metadata_address_is_refused_always(literal: str) -> None:
    assert ipaddress.IPv4Address(METADATA) in embedded_ipv4(ipaddress.IPv6Address(literal))
    assert classify(ipaddress.IPv6Address(literal)) == "forbidden"
    message = refused(f"http://[{literal}]/latest/meta-data/", allow_private=True)
    assert "cloud metadata" in message and "never" in message


@pytest.mark.parametrize("literal", [
    "::ffff:10.0.0.1", "::10.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::192.168.0.1", "64:ff9b::a00:1",
    "2002:c0a8:0101::1", "2002:7f00:1::", "2001:0:4136:e378:8000:63bf:80ff:fffe",
])
def test_ipv6_forms_of_private_ipv4_addresses_are_private(literal: str) -> None:
    assert classify(ipaddress.IPv6Address(literal)) == "private"
    assert "WEBHOOKS_ALLOW_PRIVATE" in refused(f"http://[{literal}]/", allow_private=False)


@pytest.mark.parametrize("literal", [
    "::ffff:0.0.0.0", "::0.0.0.2", "64:ff9b::224.0.0.1", "2002:a9fe:0101::", "::ffff:0:169.254.1.1",
    "64:ff9b::100.100.100.200",
    "64:ff9b:1::7f00:1",  # local-use NAT64: read with a /48 prefix it is 0.0.0.0, the worst place counts
])
def test_ipv6_forms_of_link_local_multicast_or_unspecified_ipv4_are_forbidden(literal: str) -> None:
    assert classify(ipaddress.IPv6Address(literal)) == "forbidden"


@pytest.mark.parametrize(("network", "kind"), [
    ("::/128", "forbidden"),             # unspecified
    ("::1/128", "private"),              # loopback
    ("100::/64", "private"),             # discard-only (RFC 6666)
    ("100:0:0:1::/64", "private"),       # dummy prefix (RFC 9780)
    ("2001:1ff::/32", "private"),        # IETF protocol assignments 2001::/23 (RFC 2928), its end
    ("2001:2::/48", "private"),          # benchmarking (RFC 5180)
    ("2001:10::/28", "private"),         # ORCHID, deprecated (RFC 4843)
    ("2001:db8::/32", "private"),        # documentation (RFC 3849)
    ("3fff::/20", "private"),            # documentation (RFC 9637)
    ("5f00::/16", "private"),            # SRv6 SIDs (RFC 9602)
    ("fc00::/7", "private"),             # unique local (RFC 4193)
    ("fec0::/10", "private"),            # site-local, deprecated (RFC 3879)
    ("fe80::/10", "forbidden"),          # link-local
    ("ff00::/8", "forbidden"),           # multicast
    ("4000::/3", "private"),             # reserved by the IETF: not global unicast
    ("0.0.0.0/8", "forbidden"),          # this network
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "private"),        # shared address space (CGN)
    ("127.0.0.0/8", "private"),
    ("169.254.0.0/16", "forbidden"),     # link-local
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "private"),         # IETF protocol assignments
    ("192.0.2.0/24", "private"),         # documentation
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "private"),        # benchmarking
    ("198.51.100.0/24", "private"),
    ("203.0.113.0/24", "private"),
    ("224.0.0.0/4", "forbidden"),        # multicast
    ("240.0.0.0/4", "private"),          # reserved
    ("255.255.255.255/32", "private"),   # broadcast
])
def test_each_special_purpose_range_is_judged_at_both_ends(network: str, kind: str) -> None:
    block = ipaddress.ip_network(network)
    for address in (block.network_address, block.broadcast_address):
        assert classify(address) == kind, address
        assert refused(f"http://{address}/" if address.version == 4 else f"http://[{address}]/",
                       allow_private=False), address


@pytest.mark.parametrize("literal", [
    "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "2620:4f:8000::1", "2001:4:112::1",
    "2001:3::1", "192.0.0.9", "2002:5db8:d70e::1", "64:ff9b::5db8:d70e", "::ffff:93.184.215.14",
])
def test_public_addresses_and_ipv6_forms_of_public_ipv4_pass(literal: str) -> None:
    address = ipaddress.ip_address(literal)
    assert classify(address) == "public"
    url = f"http://{literal}/" if address.version == 4 else f"http://[{literal}]/"
    assert refused(url, allow_private=False) == ""


def test_a_name_that_resolves_to_a_hidden_metadata_form_is_refused() -> None:
    with pytest.raises(UnsafeWebhookURL, match="never"):
        check("http://sneaky.example.org/", allow_private=True,
              resolve=lambda host, port: ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b:1::a9fe:a9fe"])
