"""`python -m worker [--burst]`: an RQ worker for the training queue.

RQ's default Worker forks a work horse per job, so each training run gets a fresh process
(TensorFlow is imported there, never here) and its memory is returned when it ends. SIGTERM or
Ctrl-C once: the running job checkpoints, pauses and goes back on the queue, then the worker exits;
twice: RQ kills the running job and exits; the next worker resumes the job from its last checkpoint
(worker.training_worker).
"""
from __future__ import annotations

import argparse
import logging

import worker.jobs  # noqa: F401  TF-free; a broken install fails here, at start, not in every job
from jobs.connection import connect
from jobs.queue import SERIALIZER
from jobs.settings import get_queue_settings
from worker.training_worker import TrainingWorker

log = logging.getLogger("worker")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)

    settings = get_queue_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    conn = connect(settings)
    rq_worker = TrainingWorker([settings.queue_name], connection=conn, serializer=SERIALIZER, settings=settings)
    log.info("worker %s: queue %r, data in %s", rq_worker.name, settings.queue_name, settings.data_dir.resolve())
    rq_worker.work(burst=args.burst, logging_level=settings.log_level)


if __name__ == "__main__":
    main()
