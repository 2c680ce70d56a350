"""Finding lost jobs and putting them back on the queue; forgetting old finished ones.

A job is lost when its record says running but nobody holds its lease (worker.lease): the work horse
was killed (SIGKILL, out of memory) or the whole worker went (container killed, machine rebooted).
The sweep tombstones the lease, logs a `lost` event and enqueues the job again; the next horse to
take it resumes from the run folder's last checkpoint. Jobs lost again and again without saving a
newer checkpoint (a horse killed for memory at the same point each time) fail instead, after
MAX_LOST_WITHOUT_PROGRESS tries. A queued job whose RQ job vanished (Redis flushed or restarted) is
enqueued again too. Workers run the sweep at start-up and every SWEEP_INTERVAL_S, and record the loss
of their own horse the moment it dies (worker.training_worker; RQ's Retry then requeues it).
"""
from __future__ import annotations

import logging
from pathlib import Path

import redis
from rq.job import JobStatus as RQStatus

from jobs import webhooks
from jobs.events import EventType
from jobs.queue import JobQueue
from jobs.record import JobRecord
from jobs.settings import QueueSettings
from jobs.status import JobStatus
from jobs.store import JobStore, Transaction
from jobs.timestamps import age_s
from models.checkpoints import checkpoint_step
from worker import lease

log = logging.getLogger(__name__)

WAITING = {RQStatus.QUEUED, RQStatus.DEFERRED, RQStatus.SCHEDULED, RQStatus.CREATED}


class Recovery:
    def __init__(self, conn: redis.Redis, settings: QueueSettings):
        self.conn = conn
        self.settings = settings
        self.queue = JobQueue(conn, settings)
        self.store = JobStore(Path(settings.data_dir))
        self.grace_s = 2 * settings.lease_ttl_s  # for a job between two steps of its enqueueing or start

    def sweep(self) -> list[str]:
        """One pass over this queue's records; returns the ids put back on the queue (or failed)."""
        recovered = []
        for record in self.store.list(self.settings.queue_name):
            try:
                if record.status.is_terminal:
                    self._forget_if_expired(record)
                elif self.recover(record.id):
                    recovered.append(record.id)
            except (redis.RedisError, OSError):
                log.warning("job %s: recovery check failed", record.id, exc_info=True)
        return recovered

    def record_dead_horse(self, job_id: str, horse_pid: int) -> bool:
        """Called by the worker right after its horse died: a lease still held under that pid means the
        horse died mid-run (killed). Records the loss now, instead of waiting for the lease to lapse; the
        worker's RQ then requeues the job (its Retry), so nothing is enqueued here."""
        holder = lease.holder(self.conn, job_id)
        if holder is None or not holder.startswith(lease.token_prefix(horse_pid)):
            return False
        return self.recover(job_id, dead_token=holder, requeue=False)

    def recover(self, job_id: str, dead_token: str | None = None, *, requeue: bool = True) -> bool:
        """Enqueue the job again if it is lost; True if it was (or if it failed for good)."""
        holder = lease.holder(self.conn, job_id)
        if holder is not None and holder != dead_token:
            return False  # a live horse trains it
        with self.store.transaction(job_id) as txn:
            if txn is None or txn.status.is_terminal:
                return False
            if txn.status == JobStatus.QUEUED or txn.record.pending_resume:
                return self._recover_waiting(txn, dead_token)
            if not lease.declare_lost(self.conn, job_id, dead_token):
                return False  # the horse renewed its lease just now: alive after all
            return self._recover_running(txn, requeue)

    def _recover_waiting(self, txn: Transaction, dead_token: str | None) -> bool:
        """A job that should be on the queue (queued, or lost and waiting to resume): is it?"""
        record = txn.record
        rq_status = self.queue.rq_status(record.id)
        if rq_status in WAITING:
            return False
        if rq_status is None:
            if age_s(record.updated_at) < self.grace_s:
                return False  # the API writes the record a moment before the RQ job: don't enqueue it twice
            reason = "the queue lost it: Redis was flushed or restarted"  # or a paused job's worker died
        elif rq_status == RQStatus.STARTED and dead_token is None:
            started = self.queue.rq_started_at(record.id)
            if started is None or age_s(started) < self.grace_s:
                return False  # a horse is starting (or RQ is retrying it): it takes the lease within seconds
            reason = "its worker was lost before training started"
        else:
            reason = "its worker was lost before training started"
        if txn.status != JobStatus.QUEUED:
            reason = "it was waiting to resume but was not on the queue"
        if txn.status == JobStatus.QUEUED and not self._count_loss(txn, None):
            return True
        txn.event(EventType.REQUEUED, f"put back on the queue ({reason})")
        self.queue.submit(record.id, record.config)
        return True

    def _recover_running(self, txn: Transaction, requeue: bool) -> bool:
        record = txn.record
        checkpoint = checkpoint_step(self.store.run_dir(record.id) / "checkpoints")
        step = record.progress.step if record.progress else 0
        if record.cancel_requested:  # nothing to resume: it was being canceled
            record.move_to(JobStatus.CANCELED)
            record.lease = None
            kept = f"; its checkpoint (step {checkpoint}) is kept" if checkpoint else ""
            txn.event(EventType.CANCELED, f"canceled: its worker was lost at step {step} while it stopped{kept}",
                      status=JobStatus.CANCELED)
            webhooks.notify(self.conn, self.settings.queue_name, record, JobStatus.CANCELED)
            return True
        if not self._count_loss(txn, checkpoint):
            return True
        resume = f"resuming from step {checkpoint}" if checkpoint else "restarting from step 0 (no checkpoint yet)"
        txn.event(EventType.LOST, f"worker was lost at step {step}; {resume}", step=step,
                  checkpoint_step=checkpoint or 0)
        record.pending_resume, record.lease = True, None
        if requeue:
            self.queue.submit(record.id, record.config)
        log.warning("job %s: lost at step %s; re-enqueued to resume from %s", record.id, step, checkpoint or 0)
        return True

    def _count_loss(self, txn: Transaction, checkpoint: int | None) -> bool:
        """Count one more loss; False (and the job failed) once it keeps being lost at one checkpoint."""
        record = txn.record
        if record.lost_count and record.lost_at_checkpoint == checkpoint:
            record.lost_count += 1
        else:
            record.lost_count, record.lost_at_checkpoint = 1, checkpoint
        if record.lost_count <= self.settings.max_lost_without_progress:
            return True
        error = (f"the worker training this job was lost {record.lost_count} times without getting past step "
                 f"{checkpoint or 0} (its training process was killed, often for running out of memory); "
                 "try a smaller batch_size or base_channels")
        record.move_to(JobStatus.FAILED)
        record.error, record.pending_resume, record.lease = error, False, None
        txn.event(EventType.FINISHED, f"failed: {error}", status=JobStatus.FAILED)
        webhooks.notify(self.conn, self.settings.queue_name, record, JobStatus.FAILED)
        return False

    def _forget_if_expired(self, record: JobRecord) -> None:
        """Finished jobs are remembered RESULT_TTL (failed ones FAILURE_TTL), then removed with their folder."""
        ttl = self.settings.failure_ttl if record.status == JobStatus.FAILED else self.settings.result_ttl
        if not record.finished_at or age_s(record.finished_at) <= ttl:
            return
        self.queue.delete_rq_job(record.id)
        self.store.remove(record.id)
        log.info("job %s: forgotten (finished %s)", record.id, record.finished_at)
