"""Entity tags: how the image routes, the image fast path and job previews name their bytes and match them."""
from __future__ import annotations

import hashlib


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; '*' matches anything."""
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


def image_etag(fingerprint: str, seed: int, truncation: float) -> str:
    """psi = 1 gives the plain image's tag: it is the same image."""
    if truncation == 1.0:
        return f'"{fingerprint}-{seed}"'
    return f'"{fingerprint}-{seed}-t{abs(truncation)!r}"'  # abs: -0.0 is psi 0


def composite_etag(*parts: object) -> str:
    """For bytes made from several inputs (grids, interpolations): a hash of all of them."""
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def content_etag(data: bytes) -> str:
    """For bytes read from a file that changes (a job's preview): a hash of the bytes themselves."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
