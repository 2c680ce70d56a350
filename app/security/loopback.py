"""Anonymous mode (no API keys: everyone is admin) is for one machine: a loopback bind only,
unless ALLOW_ANONYMOUS=true says otherwise on purpose."""
from __future__ import annotations

import ipaddress

from starlette.types import Scope

from app.security.settings import SecuritySettings


class AnonymousRefused(RuntimeError):
    """Raised at start-up: binding to a network address with no key and no ALLOW_ANONYMOUS."""


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or 0.0.0.0 / :: (every interface): not loopback


def check_start(settings: SecuritySettings, has_keys: bool) -> None:
    if has_keys or settings.allow_anonymous or is_loopback_host(settings.host):
        return
    raise AnonymousRefused(
        f"HOST={settings.host} is not a loopback address and there is no API key: anyone who reaches the port "
        "would be admin. Create one first (python -m jobs.keys create --name admin --role admin), "
        "or set ALLOW_ANONYMOUS=true to run without keys on purpose."
    )


def anonymous_allowed(settings: SecuritySettings, scope: Scope) -> bool:
    """Per request too: the connection must have arrived on a loopback address (or a unix socket, or an
    in-process test client), whatever HOST says, e.g. under `uvicorn --host 0.0.0.0` without HOST."""
    if settings.allow_anonymous:
        return True
    if not is_loopback_host(settings.host):
        return False
    server = scope.get("server")
    if not server or not server[0]:
        return True  # a unix socket
    try:
        return ipaddress.ip_address(server[0]).is_loopback
    except ValueError:
        return True  # not an address: an in-process client (TestClient's "testserver")
