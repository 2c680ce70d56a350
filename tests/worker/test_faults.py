"""Faults the service survives, each caused for real: SIGKILLed workers and horses, two workers, duplicates.

Real `python -m worker` subprocesses, real Redis, tiny models. The kill steps are random (seeded by
TRANSFERGEN_KILL_SEED when set, printed otherwise) so repeated runs try different places.
"""
from __future__ import annotations

import os
import random
import time

import numpy as np
import pytest

from models import storage
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for, wait_for_job
from tests.utils.workers import WorkerProcess

pytestmark = pytest.mark.slow  # real worker processes, killed on purpose

DONE = {"succeeded", "failed", "canceled"}


@pytest.fixture
def workers(settings, tmp_path):
    """start() -> a new WorkerProcess; all are stopped (and orphans killed) after the test."""
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _step(job_queue, job_id) -> int:
    """The step the job's current attempt has reported (0 until it reported one: the record still holds
    the last progress of a lost attempt until its successor writes)."""
    view = job_queue.get(job_id)
    progress = view.progress
    if view.resuming or progress is None:
        return 0
    claimed = [e.time for e in job_queue.events(job_id) if e.type in ("started", "resumed")]
    return progress.step if claimed and progress.updated_at >= claimed[-1] else 0


def _types(job_queue, job_id) -> list[str]:
    return [e.type for e in job_queue.events(job_id)]


def _weights(run_dir):
    from models.loading import load_network

    return {name: load_network(run_dir / name).get_weights()
            for name in (storage.GENERATOR_FILE, storage.GENERATOR_EMA_FILE, storage.DISCRIMINATOR_FILE)}


def test_worker_killed_at_random_steps_resumes_exactly(job_queue, data_dir, workers, tmp_path):
    """SIGKILL worker and horse together, three times at random steps; the job still ends succeeded with
    the requested steps, and its weights equal those of an uninterrupted run of the same config."""
    seed = int(os.environ.get("TRANSFERGEN_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    steps, every = 480, 20
    config = tiny_config(write_dataset(data_dir, resolution=16), steps=steps, checkpoint_every=every,
                         preview_every=50, augment="ada", ada_speed_images=200)  # ADA: its p and RNG are resumed too
    targets = sorted(rng.sample(range(every + 5, steps // 2), 3))  # room left: a kill lands some steps later
    print(f"kill seed {seed}: kill after steps {targets}")
    job = job_queue.enqueue(config)

    killed_at = []
    for attempt, target in enumerate(targets, start=1):
        worker = workers()
        wait_for(lambda: (job_queue.get(job.id).attempts == attempt and _step(job_queue, job.id) >= target)
                 or job_queue.get(job.id).status in DONE, timeout=180, interval=0.05, what=f"step {target}")
        time.sleep(rng.uniform(0, 0.5))  # so kills land between checkpoints, not just after one is reported
        killed_at.append(_step(job_queue, job.id))
        worker.kill()
        assert job_queue.get(job.id).status == "running", "finished before the kill: use more steps"
    workers()
    view = wait_for_job(job_queue, job.id, DONE, timeout=240)

    assert view.status == "succeeded", (view, job_queue.events(job.id))
    assert view.progress.step == steps and view.attempts == 4
    events = job_queue.events(job.id)
    lost = [e for e in events if e.type == "lost"]
    resumed = [e for e in events if e.type == "resumed"]
    print(f"killed at about steps {killed_at}; lost events at steps {[e.step for e in lost]}, "
          f"resumed from steps {[e.step for e in resumed]}")
    assert len(lost) == len(resumed) == 3
    assert [e.step for e in resumed] == [e.checkpoint_step for e in lost]
    assert all(e.step % every == 0 and e.step > 0 for e in resumed)
    rows = [r["step"] for r in storage.read_jsonl(storage.models_root(data_dir) / view.model_id / "metrics.jsonl")
            if "event" not in r]
    assert rows == list(range(10, steps + 1, 10))  # rows after a checkpoint were logged once, not twice

    from models.training import train

    train(config, data_dir=data_dir, run_dir=tmp_path / "uninterrupted", model_id="reference")
    resumed_weights = _weights(storage.models_root(data_dir) / view.model_id)
    reference = _weights(tmp_path / "uninterrupted")
    for name, arrays in reference.items():
        assert all(np.array_equal(a, b) for a, b in zip(arrays, resumed_weights[name])), name


def test_killed_horse_is_resumed_by_its_own_worker_at_once(job_queue, data_dir, workers, settings):
    """The OOM killer takes the horse; the worker sees it die and re-enqueues the job without waiting
    for the lease to lapse, then resumes it itself."""
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir, resolution=16), steps=150, checkpoint_every=10))
    worker = workers()
    wait_for(lambda: (progress := job_queue.get(job.id).progress) is not None and progress.checkpoint_step,
             timeout=120, interval=0.05, what="a checkpoint")
    worker.kill_horse()
    killed = time.time()

    lost = wait_for(lambda: [e for e in job_queue.events(job.id) if e.type == "lost"], timeout=30,
                    what="the lost event")[0]
    view = wait_for_job(job_queue, job.id, DONE, timeout=180)

    from datetime import datetime

    assert datetime.fromisoformat(lost.time).timestamp() - killed < settings.lease_ttl_s
    assert view.status == "succeeded" and view.attempts == 2 and view.progress.step == 150
    assert worker.process.poll() is None  # the same worker, still up, resumed it


def test_killed_worker_parent_leaves_its_horse_to_finish_alone(job_queue, data_dir, workers):
    """Only the RQ parent dies: its horse keeps its lease and finishes; a new worker does not start the
    job a second time."""
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir, resolution=16), steps=120, checkpoint_every=10))
    first = workers()
    wait_for(lambda: _step(job_queue, job.id) >= 5, timeout=120, interval=0.05, what="training")
    first.kill_parent()
    workers()

    view = wait_for_job(job_queue, job.id, DONE, timeout=180)

    assert view.status == "succeeded" and view.attempts == 1
    assert "lost" not in _types(job_queue, job.id)


def test_two_workers_never_run_the_same_job_twice(job_queue, data_dir, workers):
    """Two workers on one queue, jobs delivered twice on purpose: each job trains exactly once."""
    dataset_id = write_dataset(data_dir, resolution=16)
    jobs = [job_queue.enqueue(tiny_config(dataset_id, steps=30, seed=i)) for i in range(4)]
    for job in jobs[:2]:  # a duplicate delivery (RQ's at-least-once hand-off, a sweep racing a slow horse)
        job_queue.conn.rpush(job_queue.queue.key, job.id)
    a, b = workers(), workers()

    views = [wait_for_job(job_queue, job.id, DONE, timeout=240) for job in jobs]

    assert [v.status for v in views] == ["succeeded"] * 4
    assert all(v.attempts == 1 for v in views)
    for job in jobs:
        types = _types(job_queue, job.id)
        assert types.count("started") == 1 and "resumed" not in types and types.count("finished") == 1
    assert len({v.model_id for v in views}) == 4
    wait_for(lambda: job_queue.queue.count == 0, timeout=60, what="the duplicates to be taken and dropped")
    assert "skipped" in a.log() + b.log()


def test_a_worker_asked_to_stop_pauses_its_job_for_the_next_one(job_queue, data_dir, workers, tmp_path):
    """One SIGTERM (docker stop, a deploy): the running job checkpoints where it is, goes back on the
    queue, and the next worker resumes it from exactly there, with nothing lost and no retraining."""
    import signal

    # 1,500 steps: on a fast CPU the tiny model trains ~100 steps/s and progress is written once a second,
    # so with 300 the job could finish between the step it reports and the signal (seen on a 2-core EPYC)
    config = tiny_config(write_dataset(data_dir, resolution=16), steps=1500, checkpoint_every=10_000)
    job = job_queue.enqueue(config)
    first = workers()
    wait_for(lambda: _step(job_queue, job.id) >= 20, timeout=120, interval=0.05, what="training")
    first.process.send_signal(signal.SIGTERM)
    first.process.wait(60)  # warm shutdown: it did not wait for the 1,500 steps

    view = job_queue.get(job.id)
    assert view.status == "running" and view.resuming and view.queue_position == 1, view
    [paused] = [e for e in job_queue.events(job.id) if e.type == "paused"]
    assert 20 <= paused.step < 1500 and view.progress.checkpoint_step == paused.step
    workers()
    view = wait_for_job(job_queue, job.id, DONE, timeout=180)

    assert view.status == "succeeded" and view.attempts == 2
    types = _types(job_queue, job.id)
    assert "lost" not in types and types.count("resumed") == 1
    assert [e.step for e in job_queue.events(job.id) if e.type == "resumed"] == [paused.step]
