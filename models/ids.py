"""Ids of datasets, models and jobs: names, never paths. The one definition of what an id may be."""
from __future__ import annotations

import re
import uuid

ID_CHARS = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"  # unanchored, for patterns that embed an id (URL paths)
ID_PATTERN = rf"^{ID_CHARS}$"
_ID_RE = re.compile(ID_PATTERN)


def new_id() -> str:
    return uuid.uuid4().hex


def is_valid_id(value: str) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))
