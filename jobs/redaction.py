"""URLs as shown to people: no credentials. Webhook URLs often carry a user:password or a token in the
query (`?token=...`); a job's JSON shows where it posts without handing those to anyone who reads it."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"


def redact_url(url: str) -> str:
    """The URL with its userinfo and every query value replaced by ***; the fragment dropped."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return REDACTED  # not a URL we can take apart: show none of it
    if ":" in host:
        host = f"[{host}]"  # IPv6
    netloc = (f"{REDACTED}@" if parts.username or parts.password else "") + host
    if port is not None:
        netloc += f":{port}"
    query = urlencode([(name, REDACTED) for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
