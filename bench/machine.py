"""What the benchmark scripts need to know about this machine before they trust their timings."""
from __future__ import annotations

from pathlib import Path


def background_training() -> bool:
    """True when a base-model training (models.pretrain) runs on this machine: timings would be off."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"models.pretrain" in (entry / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False
