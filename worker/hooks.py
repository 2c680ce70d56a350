"""The training loop's progress_fn and abort_fn for one running job: record, event log, webhooks."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis

from jobs import webhooks
from jobs.events import EventType
from jobs.record import JobProgress
from jobs.store import JobStore, Transaction
from jobs.timestamps import utc_now_iso
from models.progress import TrainingProgress
from worker.lease import LeaseKeeper

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 1.0  # at most one record write a second (the loop reports about that often)
ABORT_INTERVAL_S = 0.5  # Redis is asked for the cancel flag (and the worker's shutdown) at most this often
RECORD_CANCEL_INTERVAL_S = 5.0  # and the record's cancel_requested now and then (if Redis lost the flag)
REDIS_RETRY_S = 10.0  # after a Redis error, the flag is not asked for again this long


class Superseded(Exception):
    """This horse's lease went to another one: it must stop and write nothing more."""


class JobHooks:
    """progress_fn / abort_fn for models.training.train, writing through to the job's record.

    Checkpoints and evaluations are logged as events as soon as they are reported; plain progress is
    written at most once a second. Nothing here raises into the training loop: disk or Redis trouble
    is logged, and losing the lease turns into an abort (`superseded`). `shutdown_requested` says
    whether this horse's worker is shutting down: the run then stops as `paused`, not canceled.
    `deadline` (time.monotonic()) ends the run as `timed_out` once passed: a backstop for RQ's time-limit
    alarm, which fires once and can be lost when it lands inside TensorFlow's own error handling (seen
    under load in tests/worker/test_jobs.py: the job then trained on past its limit).
    """

    def __init__(self, *, store: JobStore, conn: redis.Redis, queue_name: str, job_id: str, token: str,
                 keeper: LeaseKeeper | None, cancel_key: str, checkpoint_step: int | None,
                 webhook_progress_interval_s: float, shutdown_requested: Callable[[], bool] | None = None,
                 deadline: float | None = None):
        self.store, self.conn, self.queue_name = store, conn, queue_name
        self.job_id, self.token, self.keeper, self.cancel_key = job_id, token, keeper, cancel_key
        self.shutdown_requested = shutdown_requested
        self.paused = False  # stopped because its worker is shutting down, not canceled
        self.deadline = deadline
        self.timed_out = False  # stopped because the job's time limit passed
        self.webhook_progress_interval_s = webhook_progress_interval_s
        self.superseded = False
        self.latest: TrainingProgress | None = None
        self._checkpoint_step = checkpoint_step  # the one already in the record (a resumed run)
        self._resumed_from = checkpoint_step or 0  # evaluations up to here were logged by an earlier attempt
        self._evaluated_step: int | None = None
        self._last_write = float("-inf")
        self._last_webhook = float("-inf")
        self._last_abort_check = float("-inf")
        self._last_record_check = time.monotonic()
        self._abort = False

    def progress(self, progress: TrainingProgress) -> None:
        self.latest = progress
        now = time.monotonic()
        checkpoint, evaluated = progress.checkpoint_step, progress.evaluated_step
        new_checkpoint = checkpoint is not None and checkpoint != self._checkpoint_step
        new_metrics = evaluated is not None and evaluated != self._evaluated_step and evaluated > self._resumed_from
        if not (new_checkpoint or new_metrics or progress.finished) and now - self._last_write < PROGRESS_INTERVAL_S:
            return
        self._last_write = now
        try:
            with self.store.transaction(self.job_id, durable=False) as txn:
                self.check_owner(txn)
                txn.record.progress = JobProgress(**progress.model_dump(), updated_at=utc_now_iso())
                if new_checkpoint:
                    txn.event(EventType.CHECKPOINT, f"checkpoint saved at step {checkpoint}", step=checkpoint)
                if new_metrics:
                    txn.event(EventType.EVALUATED, _evaluation_message(progress.latest_metrics), step=evaluated,
                              metrics=progress.latest_metrics)
                record = txn.record
        except Superseded:
            self.superseded = True
            return
        except OSError:
            log.warning("job %s: could not save progress", self.job_id, exc_info=True)
            return
        if new_checkpoint:
            self._checkpoint_step = checkpoint
        if new_metrics:
            self._evaluated_step = evaluated
        if now - self._last_webhook >= self.webhook_progress_interval_s and not progress.finished:
            self._last_webhook = now
            webhooks.notify(self.conn, self.queue_name, record, "progress")

    def should_abort(self) -> bool:
        """True once canceled (flag in Redis or the record), paused, past the deadline, or once this horse
        lost its lease."""
        if self._abort or self.paused or self.timed_out or self.lost_lease:
            return True
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.timed_out = True
            return True
        if now - self._last_abort_check >= ABORT_INTERVAL_S:
            self._last_abort_check = now
            try:
                self._abort = self.conn.exists(self.cancel_key) > 0
                self.paused = not self._abort and self.shutdown_requested is not None and self.shutdown_requested()
            except redis.RedisError:  # Redis down: don't stall every step on it; the record is read below
                log.warning("job %s: could not read the cancel flag; retrying in %.0f s", self.job_id,
                            REDIS_RETRY_S, exc_info=True)
                self._last_abort_check = now + REDIS_RETRY_S
        if not self._abort and now - self._last_record_check >= RECORD_CANCEL_INTERVAL_S:
            self._last_record_check = now
            record = self.store.read(self.job_id)
            self._abort = record is not None and record.cancel_requested
        return self._abort or self.paused

    @property
    def lost_lease(self) -> bool:
        keeper = self.keeper
        return self.superseded or (keeper is not None and (keeper.lost.is_set() or keeper.expired))

    def check_owner(self, txn: Transaction | None) -> None:
        """Inside a record transaction: raise Superseded unless this horse still owns the job."""
        if txn is None or txn.record.lease != self.token:
            raise Superseded(self.job_id)


def _evaluation_message(metrics: dict) -> str:
    kid = metrics.get("kid_mean")
    return f"evaluated at step {metrics['step']}" + (f": KID {kid:.4g}" if isinstance(kid, (int, float)) else "")
