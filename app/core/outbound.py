"""Requests to URLs that users give (CalDAV servers, Web Push endpoints): the one guard against SSRF.

Only `http`/`https` on the allowed ports, and only to public addresses: every address the host name resolves
to is checked (loopback, private, link-local and cloud metadata, shared, reserved, multicast refused), on the
first request and on every redirect, because each goes through the guarded session's adapter. Self-hosted
servers on a private network are let through by `OUTBOUND_ALLOWED_NETWORKS`. A refusal says no more than an
unreachable server would, so probing tells nothing about what listens where.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": 80, "https": 443}


class BlockedDestination(requests.ConnectionError):
    """A URL the guard refuses; a `requests` connection error, so callers treat it as an unreachable server."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Where user-given URLs may lead: ports (None: any) and private networks allowed besides public ones."""

    ports: frozenset[int] | None
    networks: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls, ports: str, networks: str) -> OutboundPolicy:
        """Build from `OUTBOUND_ALLOWED_PORTS` (`80,443`, or `*`) and `OUTBOUND_ALLOWED_NETWORKS` (CIDRs)."""
        allowed_ports = None if ports.strip() == "*" else frozenset(int(p) for p in _items(ports))
        return cls(allowed_ports, tuple(ipaddress.ip_network(n, strict=False) for n in _items(networks)))

    def check(self, url: str) -> None:
        """Raise `BlockedDestination` unless `url` is http(s) on an allowed port at allowed addresses only."""
        parts = urlsplit(url)
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            port = None
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port is None:
            raise BlockedDestination("Only http and https URLs with a host name are allowed.")
        if self.ports is not None and port not in self.ports:
            raise BlockedDestination(f"Port {port} is not allowed.")
        for address in self.resolve(parts.hostname, port):
            if not self.allows(address):
                raise BlockedDestination("The host resolves to an address that is not allowed.")

    @staticmethod
    def resolve(host: str, port: int) -> list[IPAddress]:
        """Every address `host` resolves to (a literal address is itself)."""
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as error:
            raise BlockedDestination("The host name does not resolve.") from error
        return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]

    def allows(self, address: IPAddress) -> bool:
        """Whether a request may go to `address`: a public one, or one in an allowed network."""
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        if any(address in network for network in self.networks):
            return True
        return address.is_global and not address.is_multicast


class GuardedAdapter(HTTPAdapter):
    """A requests transport that checks every request it sends (redirects included) against a policy."""

    def __init__(self, policy: OutboundPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Check the destination, then send."""
        self.policy.check(request.url or "")
        return super().send(request, *args, **kwargs)


def guard(session: requests.Session, policy: OutboundPolicy | None = None) -> requests.Session:
    """Make every request of `session` go through the guard (the app's policy unless given); return it."""
    adapter = GuardedAdapter(policy or outbound_policy())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def outbound_policy() -> OutboundPolicy:
    """The app's policy, from its configuration."""
    config = current_app.config
    return OutboundPolicy.from_settings(config["OUTBOUND_ALLOWED_PORTS"], config["OUTBOUND_ALLOWED_NETWORKS"])


def _items(text: str) -> Iterable[str]:
    return (item.strip() for item in text.split(",") if item.strip())
