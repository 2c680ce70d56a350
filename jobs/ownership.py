"""Who owns a dataset, a job or a model: the id of the API key that created it.

Datasets and models keep it on disk beside their files (`owner.json` in their folder), like every
other fact about them, so losing Redis loses no ownership. A job keeps it in its record
(`JobRecord.owner`), and its queue writes the same file into the job's run folder when it is
queued: the run folder becomes the model's folder when the job succeeds, so the model has its
owner without the worker knowing about owners. Shipped base models have none: public, read-only.
Things made before owners existed have none either: only admins see those.
"""
from __future__ import annotations

import json
from pathlib import Path

OWNER_FILE = "owner.json"
ANONYMOUS = "anonymous"  # the owner of what is made in anonymous mode (no keys, loopback)


def write_owner(folder: Path, owner: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OWNER_FILE).write_text(json.dumps({"owner": owner}))


def read_owner(folder: Path) -> str | None:
    """The owner's key id, or None (no file, or not one this wrote)."""
    try:
        value = json.loads((folder / OWNER_FILE).read_text()).get("owner")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
