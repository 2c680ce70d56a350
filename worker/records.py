"""Job records on disk: the source of truth for a job's status, progress and event log.

DATA_DIR/jobs/<job_id>/
  job.json       the record (status, config, progress, timestamps, lease, ...), replaced atomically
  events.jsonl   the ordered event log, one JSON object a line, each with a `seq` from 1
  run/           the training run folder: checkpoints/, preview.png, ...; renamed to
                 DATA_DIR/models/<model_id> when the job succeeds (one rename, as before)
  .lock          flock'ed around every read-modify-write of job.json and events.jsonl

Redis holds the queue, leases and flags; a Redis flush or restart loses none of this (the worker's
sweep puts unfinished jobs back on the queue). Every change goes through `JobStore.transaction`,
which enforces the status machine queued -> running -> succeeded | failed | canceled.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from models import storage

JOBS_DIR = "jobs"
RECORD_FILE = "job.json"
EVENTS_FILE = "events.jsonl"
RUN_DIR = "run"
LOCK_FILE = ".lock"

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"
ACTIVE = frozenset({QUEUED, RUNNING})
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
_NEXT = {QUEUED: {RUNNING, CANCELED, FAILED}, RUNNING: {SUCCEEDED, FAILED, CANCELED}}


class InvalidTransition(RuntimeError):
    """A status change the machine does not allow (a bug, or a record changed under our feet)."""


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def jobs_root(data_dir: Path) -> Path:
    return Path(data_dir) / JOBS_DIR


class Transaction:
    """One locked change of a record: mutate `.record`, call `.set_status` and `.event`."""

    def __init__(self, record: dict):
        self.record = record
        self.events: list[dict] = []

    @property
    def status(self) -> str:
        return self.record["status"]

    def set_status(self, status: str) -> None:
        if status not in _NEXT.get(self.status, ()):
            raise InvalidTransition(f"job {self.record['id']}: {self.status} -> {status}")
        self.record["status"] = status
        now = utc_now_iso()
        if status == RUNNING and not self.record.get("started_at"):
            self.record["started_at"] = now
        if status in TERMINAL:
            self.record["finished_at"] = now

    def event(self, type_: str, message: str, **fields: Any) -> None:
        self.events.append({"type": type_, "message": message, **fields})


class JobStore:
    """Job records of one DATA_DIR (any process: API, worker parent, work horse)."""

    def __init__(self, data_dir: Path):
        self.root = jobs_root(data_dir)

    def folder(self, job_id: str) -> Path:
        if not storage.is_valid_id(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.root / job_id

    def run_dir(self, job_id: str) -> Path:
        return self.folder(job_id) / RUN_DIR

    def create(self, record: dict, message: str) -> dict:
        """Write a new record (status queued) with its first event."""
        folder = self.folder(record["id"])
        folder.mkdir(parents=True, exist_ok=False)
        now = utc_now_iso()
        record = {"status": QUEUED, "created_at": now, "updated_at": now, "started_at": None,
                  "finished_at": None, "event_count": 0, **record}
        txn = Transaction(record)
        txn.event(QUEUED, message)
        with self._locked(folder):
            self._commit(folder, txn, durable=True)
        return txn.record

    def read(self, job_id: str) -> dict | None:
        try:
            return storage.read_json(self.folder(job_id) / RECORD_FILE)
        except (ValueError, FileNotFoundError, json.JSONDecodeError):
            return None

    def list(self, queue_name: str | None = None) -> list[dict]:
        """Records (of one queue, if given), newest first."""
        records = []
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            record = self.read(folder.name) if storage.is_valid_id(folder.name) else None
            if record is not None and (queue_name is None or record.get("queue") == queue_name):
                records.append(record)
        return sorted(records, key=lambda r: r["created_at"], reverse=True)

    def events(self, job_id: str, after: int = 0) -> list[dict]:
        """Events with seq > after, in order (a half-written last line of a killed writer is skipped)."""
        try:
            rows = storage.read_jsonl(self.folder(job_id) / EVENTS_FILE)
        except ValueError:
            return []
        return [row for row in rows if row.get("seq", 0) > after]

    @contextlib.contextmanager
    def transaction(self, job_id: str, *, durable: bool = True) -> Iterator[Transaction | None]:
        """Lock, read, let the caller change it, write back (None: no such record; nothing written).

        An exception in the block writes nothing. durable=False skips fsync (progress: losing the
        last second of it in a power cut is fine; status changes and events are always durable).
        """
        folder = self.folder(job_id)
        if not (folder / RECORD_FILE).is_file():
            yield None
            return
        with self._locked(folder):
            record = storage.read_json(folder / RECORD_FILE)
            before = json.dumps(record, sort_keys=True)
            txn = Transaction(record)
            yield txn
            if txn.events or json.dumps(txn.record, sort_keys=True) != before:
                txn.record["updated_at"] = utc_now_iso()
                self._commit(folder, txn, durable=durable or bool(txn.events))

    def remove(self, job_id: str) -> None:
        storage.remove_dir(self.folder(job_id))

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        fd = os.open(folder / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _commit(self, folder: Path, txn: Transaction, *, durable: bool) -> None:
        """Events first, then the record: a crash in between leaves events the record does not count
        yet, so numbering continues from the log itself, never from the record alone."""
        if txn.events:
            path = folder / EVENTS_FILE
            seq, complete = _tail(path)
            seq = max(seq, txn.record["event_count"])
            now = utc_now_iso()
            lines = [] if complete else ["\n"]  # end a line half-written by a killed process
            for event in txn.events:
                seq += 1
                lines.append(json.dumps({"seq": seq, "time": now, **event}) + "\n")
            with open(path, "a", encoding="utf-8") as f:
                f.write("".join(lines))
                if durable:
                    f.flush()
                    os.fsync(f.fileno())
            txn.record["event_count"] = seq
            txn.events = []
        _write_json(folder / RECORD_FILE, txn.record, durable=durable)


def _tail(path: Path) -> tuple[int, bool]:
    """(seq of the last complete event line, whether the file ends with a newline)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 8192))
            tail = f.read()
    except FileNotFoundError:
        return 0, True
    for line in reversed(tail.splitlines()):
        try:
            return int(json.loads(line)["seq"]), tail.endswith(b"\n")
        except (ValueError, KeyError, TypeError):
            continue
    return 0, not tail or tail.endswith(b"\n")


def _write_json(path: Path, value: Any, *, durable: bool) -> None:
    if durable:
        storage.write_json_atomic(path, value)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # readers see the old or the new record, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
