"""What one user key may hold: queued + running jobs and their steps, a job's batch size and width,
and bytes stored in its datasets and models. Counted from the records and folders on disk (the source
of truth), when a job or upload is asked for."""
from __future__ import annotations

import os
from pathlib import Path

from app.errors import ApiError
from app.security.principal import Principal
from app.security.rate_limits import too_many
from app.security.settings import SecuritySettings
from jobs.ownership import read_owner
from jobs.queue import JobQueue
from jobs.store import RUN_DIR, jobs_root
from models import storage
from models.config import TrainConfig

ACTIVE_JOBS_RETRY_S = 60  # a 429 for busy jobs: look again in a minute (or cancel one)
STORAGE_RETRY_S = 3600  # space frees only when the user deletes something


def check_job(principal: Principal, config: TrainConfig, queue: JobQueue, settings: SecuritySettings) -> None:
    """Ceilings on the job itself (422: waiting will not help) and the key's quotas (429)."""
    if not principal.limited:
        return
    ceilings = {"steps": (config.steps, settings.max_active_steps_per_key, "MAX_ACTIVE_STEPS_PER_KEY"),
                "batch_size": (config.batch_size, settings.max_job_batch_size, "MAX_JOB_BATCH_SIZE"),
                "base_channels": (config.base_channels, settings.max_job_base_channels, "MAX_JOB_BASE_CHANNELS")}
    for field, (value, limit, name) in ceilings.items():
        if value > limit:
            raise ApiError(422, "over_limit", f"`{field}` may be at most {limit} on this server ({name}), got {value}.",
                           {"field": field, "max": limit})
    active = [r for r in queue.store.list(queue.settings.queue_name) if r.owner == principal.id and r.status.is_active]
    if len(active) >= settings.max_active_jobs_per_key:
        raise too_many("job_quota", f"This key has {len(active)} queued or running jobs, the most it may have "
                                    "(MAX_ACTIVE_JOBS_PER_KEY); wait for one to end or cancel one.",
                       ACTIVE_JOBS_RETRY_S, {"max": settings.max_active_jobs_per_key})
    steps = sum(int(r.config.get("steps", 0)) for r in active) + config.steps
    if steps > settings.max_active_steps_per_key:
        raise too_many("steps_quota", f"Queued and running jobs of this key would train {steps} steps in all; "
                                      f"at most {settings.max_active_steps_per_key} (MAX_ACTIVE_STEPS_PER_KEY).",
                       ACTIVE_JOBS_RETRY_S, {"max": settings.max_active_steps_per_key, "requested": steps})


def check_storage(principal: Principal, data_dir: Path, settings: SecuritySettings) -> None:
    """Checked before each upload and job: a key at its quota gets a 429 (one upload can pass the
    quota by at most MAX_UPLOAD_BYTES; counting while it streams would cost every upload a walk)."""
    if not principal.limited:
        return
    used = stored_bytes(data_dir, principal.id)
    if used >= settings.max_stored_bytes_per_key:
        raise too_many("storage_quota", f"This key stores {used} bytes in datasets and models, its quota "
                                        f"(MAX_STORED_BYTES_PER_KEY {settings.max_stored_bytes_per_key}); "
                                        "delete some to make room.",
                       STORAGE_RETRY_S, {"used": used, "max": settings.max_stored_bytes_per_key})


def stored_bytes(data_dir: Path, owner: str) -> int:
    """Its datasets, models, and the run folders (checkpoints) of its jobs."""
    folders = []
    for root in (storage.datasets_root(data_dir), storage.models_root(data_dir)):
        folders += list(root.iterdir()) if root.is_dir() else []
    jobs = jobs_root(data_dir)
    folders += [job / RUN_DIR for job in jobs.iterdir()] if jobs.is_dir() else []
    return sum(_folder_bytes(folder) for folder in folders if read_owner(folder) == owner)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                pass  # deleted meanwhile
    return total
