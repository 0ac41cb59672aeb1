"""Address lists in settings: `127.0.0.0/8,::1/128` as networks (rate-limit and admission exemptions)."""

from __future__ import annotations

import ipaddress

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str | None, setting: str) -> tuple[IpNetwork, ...]:
    """'127.0.0.0/8, ::1/128' → networks; ValueError naming `setting` and the bad entry."""
    found = []
    for item in (part.strip() for part in (text or "").split(",")):
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{setting}: {item!r} is not an address or network") from None
    return tuple(found)


def contains(networks: tuple[IpNetwork, ...], address: str) -> bool:
    """Whether `address` lies in one of `networks` (False for anything that is not an address)."""
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
