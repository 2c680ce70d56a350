"""RQ's forking Worker, plus transfergen's lost-job sweep (worker.recovery).

RQ itself notices a dead worker's job only at its registry maintenance (every 10 minutes) and then
fails it. This worker sweeps at start-up and every SWEEP_INTERVAL_S, idle or busy (RQ wakes the
parent that often: the dequeue timeout while idle, the horse-monitoring interval while busy), and at
once after its own horse dies without finishing (killed), so a lost job resumes within seconds.
"""
from __future__ import annotations

import logging
import time

from rq import Worker

from worker.recovery import Recovery
from worker.settings import QueueSettings

log = logging.getLogger(__name__)


class TrainingWorker(Worker):
    def __init__(self, *args, settings: QueueSettings, **kwargs):
        self.settings = settings  # before Worker.__init__, which reads dequeue_timeout
        kwargs.setdefault("job_monitoring_interval", self._interval)
        super().__init__(*args, **kwargs)
        self.recovery = Recovery(self.connection, settings)
        self._next_sweep = 0.0
        self._last_horse_pid = 0

    @property
    def _interval(self) -> int:
        return max(1, round(self.settings.sweep_interval_s))

    @property
    def dequeue_timeout(self) -> int:
        return self._interval  # wake up that often while idle, to sweep

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return time.monotonic() >= self._next_sweep or super().should_run_maintenance_tasks

    def run_maintenance_tasks(self) -> None:
        self.sweep_if_due()
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()

    def maintain_heartbeats(self, job, execution) -> None:
        super().maintain_heartbeats(job, execution)
        self.sweep_if_due()  # while our own horse trains: other workers' jobs may be lost

    def fork_work_horse(self, job, queue) -> None:
        super().fork_work_horse(job, queue)
        self._last_horse_pid = self._horse_pid

    def execute_job(self, job, queue) -> None:
        super().execute_job(job, queue)
        pid, self._last_horse_pid = self._last_horse_pid, 0
        if pid:
            try:
                if self.recovery.recover_dead_horse(job.id, pid):
                    log.warning("job %s: work horse %s died mid-run; job re-enqueued", job.id, pid)
            except Exception:
                log.exception("job %s: could not recover it after its horse died", job.id)

    def sweep_if_due(self) -> None:
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.settings.sweep_interval_s
        try:
            recovered = self.recovery.sweep()
        except Exception:  # never let the sweep take the worker down
            log.exception("lost-job sweep failed")
            return
        if recovered:
            log.info("sweep: re-enqueued or failed %d lost job(s): %s", len(recovered), ", ".join(recovered))
