"""Job timestamps: ISO 8601 strings in UTC ("...+00:00"), as records store and the API shows them."""
from __future__ import annotations

import time
from datetime import datetime, timezone


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def age_s(when: str | datetime) -> float:
    """Seconds since an ISO timestamp (a record's) or a datetime (RQ's: naive means UTC)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return time.time() - when.timestamp()
