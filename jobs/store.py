"""Job records on disk: the source of truth for a job's status, progress and event log.

DATA_DIR/jobs/<job_id>/
  job.json       the record (status, config, progress, timestamps, lease, ...), replaced atomically
  events.jsonl   the ordered event log, one JSON object a line, each with a `seq` from 1
  run/           the training run folder: checkpoints/, preview.png, ...; renamed to
                 DATA_DIR/models/<model_id> when the job succeeds (one rename, as before)
  .lock          flock'ed around every read-modify-write of job.json and events.jsonl

Redis holds the queue, leases and flags; a Redis flush or restart loses none of this (the worker's
sweep puts unfinished jobs back on the queue). That is why the record is not RQ's job.meta, which
lives in Redis and goes with it. Every change goes through `JobStore.transaction`;
the record's `move_to` enforces the status machine (jobs.status).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jobs.events import EventType, JobEvent
from jobs.record import JobRecord
from jobs.status import JobStatus
from jobs.timestamps import utc_now_iso
from models import atomic, storage

JOBS_DIR = "jobs"
RECORD_FILE = "job.json"
EVENTS_FILE = "events.jsonl"
RUN_DIR = "run"
LOCK_FILE = ".lock"


def jobs_root(data_dir: Path) -> Path:
    return Path(data_dir) / JOBS_DIR


class Transaction:
    """One locked change of a record: change `.record` (its status through `.record.move_to`), log `.event`s."""

    def __init__(self, record: JobRecord):
        self.record = record
        self.events: list[dict] = []

    @property
    def status(self) -> JobStatus:
        return self.record.status

    def set_status(self, status: JobStatus | str) -> None:
        """The record's `move_to`: allowed moves only (jobs.status), with their timestamps."""
        self.record.move_to(JobStatus(status))

    def event(self, type_: EventType, message: str, **fields: Any) -> None:
        self.events.append({"type": EventType(type_), "message": message, **fields})


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

    def create(self, record: JobRecord, message: str) -> JobRecord:
        """Write a new record (status queued) with its first event."""
        folder = self.folder(record.id)
        folder.mkdir(parents=True, exist_ok=False)
        txn = Transaction(record)
        txn.event(EventType.QUEUED, message)
        with self._locked(folder):
            self._commit(folder, txn, durable=True)
        return txn.record

    def read(self, job_id: str) -> JobRecord | None:
        try:
            return _load(self.folder(job_id) / RECORD_FILE)
        except (ValueError, FileNotFoundError):  # a malformed id, no record, or not a record (ValidationError)
            return None

    def list(self, queue_name: str | None = None) -> list[JobRecord]:
        """Records (of one queue, if given), newest first."""
        records = []
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            record = self.read(folder.name) if storage.is_valid_id(folder.name) else None
            if record is not None and (queue_name is None or record.queue == queue_name):
                records.append(record)
        return sorted(records, key=lambda r: r.created_at, reverse=True)

    def events(self, job_id: str, after: int = 0) -> list[JobEvent]:
        """Events with seq > after, in order (a half-written last line of a killed writer is skipped)."""
        try:
            rows = storage.read_jsonl(self.folder(job_id) / EVENTS_FILE)
        except ValueError:
            return []
        events = []
        for row in rows:
            try:
                event = JobEvent.model_validate(row)
            except ValidationError:  # not an event this version knows: skipped, like a torn line
                continue
            if event.seq > after:
                events.append(event)
        return events

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
            record = _load(folder / RECORD_FILE)
            before = record.model_dump_json()
            txn = Transaction(record)
            yield txn
            if txn.events or txn.record.model_dump_json() != before:
                txn.record.updated_at = utc_now_iso()
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
            seq = max(seq, txn.record.event_count)
            now = utc_now_iso()
            lines = [] if complete else ["\n"]  # end a line half-written by a killed process
            for event in txn.events:
                seq += 1
                lines.append(json.dumps({"seq": seq, "time": now, **event}) + "\n")
            # Appended, not replaced: a log only grows, and a torn last line is skipped by readers.
            with open(path, "a", encoding="utf-8") as f:
                f.write("".join(lines))
                if durable:
                    f.flush()
                    os.fsync(f.fileno())
            txn.record.event_count = seq
            txn.events = []
        atomic.write_text(folder / RECORD_FILE, txn.record.model_dump_json(indent=2), durable=durable)


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


def _load(path: Path) -> JobRecord:
    return JobRecord.model_validate_json(path.read_bytes())
