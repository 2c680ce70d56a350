"""One webhook POST that cannot be turned against the network it runs in (SSRF).

A job's webhook_url is chosen by whoever submits the job, and the API process POSTs to it from
inside the deployment, so the sender:
- resolves the host once and refuses loopback, private, link-local, multicast, reserved and
  unspecified addresses (IPv4 in any spelling, IPv6, IPv4-mapped IPv6), unless the host is named in
  WEBHOOK_ALLOWED_HOSTS;
- connects to the very address it checked (a second DNS answer cannot rebind it), while the Host
  header and TLS (SNI and certificate check) still use the URL's host name;
- never follows a redirect (a 3xx is a failed delivery, like any other non-2xx); credentials in the URL
  (https://user:secret@host/...) are sent as HTTP Basic auth, never as part of the request line;
- reports failures without socket detail: "delivery failed: HTTP 500" or "delivery failed: connection
  error" (refused, unreachable, timed out, unknown host and forbidden address alike), so the job's
  events are no port scanner. The detail goes to the server log only.

Custom on top of http.client because the libraries that do this (advocate, for requests) are
unmaintained, and urllib.request can neither pin the address it connects to nor stop redirects simply.
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

CONNECTION_ERROR = "delivery failed: connection error"
Resolver = Callable[..., list]  # socket.getaddrinfo's signature
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DeliveryFailed(Exception):
    """str(exc) is safe to show the job's owner."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str  # the checked IP address to connect to


def forbidden_address(ip: IPAddress) -> bool:
    """Anything but a public unicast address, looking through IPv4-mapped and 6to4/Teredo IPv6."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if any(inner is not None and forbidden_address(inner) for inner in embedded):
            return True
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal means, in any spelling a resolver accepts:
    "127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "[::ffff:127.0.0.1]"; None for a name."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))  # the C library's loose IPv4 forms
        except OSError:
            return None
    return None


def url_problem(url: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why a webhook_url is refused up front (a literal internal address or localhost), else None.

    Host names are only checked when a delivery resolves them: answering "internal" here for a name
    would tell the submitter which internal names exist.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return "the webhook URL must be http(s) with a host"
    if host in _normalised(allowed_hosts):
        return None
    ip = literal_address(host)
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and forbidden_address(ip)):
        return ("the webhook URL points at a loopback, private, link-local or reserved address; "
                "the server's operator can allow a host with WEBHOOK_ALLOWED_HOSTS")
    return None


def resolve(url: str, allowed_hosts: Iterable[str], resolver: Resolver = socket.getaddrinfo) -> Destination:
    """The URL's parts and the one address to connect to; raises DeliveryFailed when it is not allowed."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DeliveryFailed(CONNECTION_ERROR) from None
    if parts.scheme not in ("http", "https") or not host:
        raise DeliveryFailed(CONNECTION_ERROR)
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    except (OSError, UnicodeError, ValueError) as exc:
        log.info("webhook host %s does not resolve: %s", host, exc)
        raise DeliveryFailed(CONNECTION_ERROR) from None
    if not addresses:
        raise DeliveryFailed(CONNECTION_ERROR)
    if host not in _normalised(allowed_hosts) and any(forbidden_address(ip) for ip in addresses):
        log.warning("webhook to %s refused: it resolves to a non-public address (%s)", host,
                    ", ".join(map(str, addresses)))
        raise DeliveryFailed(CONNECTION_ERROR)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, str(addresses[0]))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float, allowed_hosts: Iterable[str],
         resolver: Resolver = socket.getaddrinfo, tls: ssl.SSLContext | None = None) -> None:
    """POST `body` to `url`; returns on a 2xx answer, raises DeliveryFailed otherwise (3xx included).

    `tls`: the context HTTPS certificates are checked with (default: the system's trusted CAs).
    """
    destination = resolve(url, allowed_hosts, resolver)
    headers = dict(headers)
    userinfo = _userinfo(url)
    if userinfo:
        headers["Authorization"] = "Basic " + base64.b64encode(userinfo.encode()).decode()
    connection = _connection(destination, timeout_s, tls)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
        log.info("webhook to %s failed: %s", destination.host, exc)
        raise DeliveryFailed(CONNECTION_ERROR) from None
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise DeliveryFailed(f"delivery failed: HTTP {status}")


def _connection(destination: Destination, timeout_s: float, tls: ssl.SSLContext | None) -> http.client.HTTPConnection:
    if destination.scheme == "https":
        return _PinnedHTTPSConnection(destination.address, destination.host, destination.port, timeout=timeout_s,
                                      context=tls or ssl.create_default_context())
    return _PinnedHTTPConnection(destination.address, destination.host, destination.port, timeout=timeout_s)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks to `address`; the Host header is still the URL's host."""

    def __init__(self, address: str, host: str, port: int, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Talks TLS to `address`, with SNI and the certificate check for the URL's host."""

    def __init__(self, address: str, host: str, port: int, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None:
        return ""
    return f"{unquote(parts.username)}:{unquote(parts.password or '')}"


def _normalised(hosts: Iterable[str]) -> set[str]:
    return {host.strip().lower().strip("[]") for host in hosts if host.strip()}
