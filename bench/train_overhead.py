"""Overhead of the worker's bookkeeping on training: steps/s bare vs through the worker's job path.

    .venv/bin/python bench/train_overhead.py            # ~5 minutes on 2 CPU cores

Both arms train the same config on the same data in this one process, interleaved (bare, worker,
bare, worker, ...) so that load from other processes hits both alike:
- bare:   models.training.train with no hooks, no previews and no checkpoints;
- worker: worker.jobs.run_job, what a work horse runs: the job record, the lease and its renewal
          thread, progress written to the record every second, the cancel flag polled, checkpoints
          and preview grids at the config's intervals (TrainConfig's defaults unless overridden).
Each arm runs at a short and a long step count; steps/s = (long - short) / (time long - time short),
which cancels what a run costs once (building the model, tracing, saving the run folder), so the
numbers are training-loop throughput. Times are the minimum over --repeats (other processes only ever
add time, so the fastest run is the least disturbed one); `median` gives the same from medians. On a
shared machine these end-to-end numbers carry a few percent of noise, so `components` also times each
added piece directly (a checkpoint, a preview, a progress write, an abort check, a lease renewal) and
predicts the overhead from the config's intervals. Writes bench/results/train_overhead.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from models import storage  # noqa: E402
from machine import background_training  # noqa: E402  (bench/machine.py)
from models.config import TrainConfig  # noqa: E402


def _redis_url(data_dir: Path) -> tuple[str, object | None]:
    """REDIS_URL, else the local server's db 15 (as the tests), else an embedded server."""
    import redis

    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    try:
        if redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping():
            return "redis://127.0.0.1:6379/15", None
    except (redis.RedisError, OSError):
        pass
    from jobs.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(data_dir)
    return server.start(), server


def _bare(config: TrainConfig, data_dir: Path, steps: int) -> float:
    from models.training import train

    run = storage.staging_dir(data_dir)
    quiet = config.model_copy(update={"steps": steps, "preview_every": 10**9, "checkpoint_every": 10**9})
    started = time.perf_counter()
    train(quiet, data_dir=data_dir, run_dir=run, model_id="bare")
    elapsed = time.perf_counter() - started
    storage.remove_dir(run)
    return elapsed


def _worker(config: TrainConfig, settings, conn, steps: int) -> float:
    from jobs.queue import JobQueue
    from worker.jobs import run_job

    queue = JobQueue(conn, settings)
    job = queue.enqueue(config.model_copy(update={"steps": steps}))
    queue.delete_rq_job(job.id)  # run here, not by a worker
    started = time.perf_counter()
    result = run_job({"job_id": job.id, "config": job.config}, conn=conn, settings=settings,
                     shutdown_requested=_shutdown_check(conn))
    elapsed = time.perf_counter() - started
    assert result["status"] == "succeeded", result
    storage.remove_dir(storage.models_root(settings.data_dir) / result["model_id"])
    queue.store.remove(job.id)
    return elapsed


def _shutdown_check(conn):
    """The same Redis read as a work horse's look at its worker's shutdown request (worker.jobs)."""
    return lambda: conn.hget("rq:worker:bench", "shutdown_requested_date") is not None


def _components(config: TrainConfig, data_dir: Path, settings, conn) -> dict:
    """Seconds per call of each thing the worker path adds, timed directly (no other run competing):
    what overhead the defaults' intervals predict, independent of the end-to-end noise."""
    import uuid as _uuid

    from models.callbacks import PREVIEW_SEEDS, write_sample_grid
    from models.checkpoints import save_checkpoint
    from jobs.queue import cancel_key
    from jobs.record import JobRecord
    from jobs.store import JobStore
    from models.progress import Losses, TrainingProgress
    from models.setup import build_training_model
    from worker import lease
    from worker.hooks import JobHooks

    model, _ = build_training_model(config, data_dir, 32)
    folder = data_dir / "component-checkpoints"

    def timed(fn, n):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - started) / n

    checkpoint_s = timed(lambda: save_checkpoint(model, folder, 1), 5)
    preview_s = timed(lambda: write_sample_grid(model.ema_generator, data_dir / "preview.png", PREVIEW_SEEDS, 4), 5)
    store, job_id, token = JobStore(data_dir), _uuid.uuid4().hex, lease.new_token()
    store.create(JobRecord(id=job_id, queue=settings.queue_name, config={}, lease=token), "bench")
    with store.transaction(job_id) as txn:
        txn.set_status("running")
    hooks = JobHooks(store=store, conn=conn, queue_name=settings.queue_name, job_id=job_id, token=token,
                     keeper=None, cancel_key=cancel_key(job_id), checkpoint_step=None,
                     webhook_progress_interval_s=settings.webhook_progress_interval_s,
                     shutdown_requested=_shutdown_check(conn))
    progress = TrainingProgress(step=1, total_steps=10**6, fraction=1e-6, losses=Losses(g=1.0, d=1.0))

    def write_progress():
        hooks._last_write = float("-inf")  # as if a second had passed
        hooks.progress(progress)

    progress_s = timed(write_progress, 100)
    abort_s = timed(hooks.should_abort, 20000)  # amortised: one Redis read per ABORT_INTERVAL_S
    lease.acquire(conn, job_id, token, settings.lease_ttl_s)
    renew_s = timed(lambda: lease.renew(conn, job_id, token, settings.lease_ttl_s), 200)
    lease.release(conn, job_id, token)
    return {"checkpoint_s": checkpoint_s, "preview_s": preview_s, "progress_write_s": progress_s,
            "abort_check_s": abort_s, "lease_renewal_s": renew_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", type=int, default=50, help="steps of the short runs")
    parser.add_argument("--long", type=int, default=650, help="steps of the long runs")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--config", default='{"batch_size": 16, "base_channels": 64, "latent_dim": 64}',
                        help="TrainConfig fields as JSON (dataset_id and steps are set here)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "train_overhead.json")
    args = parser.parse_args()

    import redis

    import numpy as np
    from PIL import Image

    from models import datasets

    training = background_training()
    if training:
        print("WARNING: a models.pretrain training is running: both arms share the CPU with it", flush=True)
    from jobs.settings import QueueSettings

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        rng, dataset_id, shape = np.random.default_rng(0), "bench-noise", (args.resolution, args.resolution, 3)
        noise = (Image.fromarray(rng.integers(0, 256, shape, np.uint8)) for _ in range(args.images))
        datasets.write_training_set(data_dir, dataset_id, "random noise", args.resolution, noise)
        config = TrainConfig(dataset_id=dataset_id, **json.loads(args.config))
        url, server = _redis_url(data_dir)
        settings = QueueSettings(redis_url=url, data_dir=data_dir, queue_name=f"bench-{uuid.uuid4().hex[:8]}")
        conn = redis.Redis.from_url(url)
        try:
            _bare(config, data_dir, 5)  # warm up: TensorFlow import, first tracing, caches
            components = _components(config, data_dir, settings, conn)
            times: dict[tuple[str, int], list[float]] = {}
            arms = [("bare", lambda s: _bare(config, data_dir, s)),
                    ("worker", lambda s: _worker(config, settings, conn, s))]
            for repeat in range(args.repeats):
                for steps in (args.short, args.long):
                    for arm, run in arms if repeat % 2 == 0 else arms[::-1]:  # neither arm always goes first
                        elapsed = run(steps)
                        times.setdefault((arm, steps), []).append(elapsed)
                        print(f"repeat {repeat + 1}: {arm:6s} {steps:5d} steps {elapsed:7.2f} s", flush=True)
        finally:
            for key in conn.scan_iter(match=f"*{settings.queue_name}*"):
                conn.delete(key)
            if server is not None:
                server.stop()

    def rate(arm: str, pick) -> float:
        return (args.long - args.short) / (pick(times[(arm, args.long)]) - pick(times[(arm, args.short)]))

    bare, worker = rate("bare", min), rate("worker", min)
    median_rates = {arm: rate(arm, statistics.median) for arm in ("bare", "worker")}
    step_s = 1 / bare  # what each added cost is compared with
    per_step = (components["checkpoint_s"] / config.checkpoint_every + components["preview_s"] / config.preview_every
                + components["abort_check_s"]
                + (components["progress_write_s"] + components["lease_renewal_s"] * 3 / settings.lease_ttl_s) * step_s)
    result = {
        "bare_steps_per_second": round(bare, 3),
        "worker_steps_per_second": round(worker, 3),
        "overhead_fraction": round(1 - worker / bare, 4),
        "median": {"bare_steps_per_second": round(median_rates["bare"], 3),
                   "worker_steps_per_second": round(median_rates["worker"], 3),
                   "overhead_fraction": round(1 - median_rates["worker"] / median_rates["bare"], 4)},
        "components": {**{k: float(f"{v:.3g}") for k, v in components.items()},
                       "predicted_overhead_fraction": round(per_step / step_s, 4),
                       "note": "per call; at the config's checkpoint_every / preview_every, one progress write a "
                               "second, an abort check every step, a lease renewal every LEASE_TTL_S / 3"},
        "goal": "overhead_fraction < 0.05",
        "method": "steps/s = (long - short) / (fastest long run - fastest short run), wall clock; "
                  "arms interleaved, alternating which goes first",
        "short_steps": args.short, "long_steps": args.long, "repeats": args.repeats,
        "config": {k: v for k, v in config.model_dump(mode="json").items() if k != "dataset_id"},
        "dataset": {"images": args.images, "resolution": args.resolution, "kind": "random noise"},
        "seconds": {f"{arm}_{steps}": [round(t, 3) for t in ts] for (arm, steps), ts in times.items()},
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "background_training": training,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("bare_steps_per_second", "worker_steps_per_second",
                                             "overhead_fraction", "median", "components")}))


if __name__ == "__main__":
    main()
