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
numbers are training-loop throughput. Medians over --repeats. Writes bench/results/train_overhead.json.
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
    from worker.embedded_redis import EmbeddedRedis

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
    from worker.jobs import run_job
    from worker.queue import JobQueue

    queue = JobQueue(conn, settings)
    job = queue.enqueue(config.model_copy(update={"steps": steps}))
    queue.delete_rq_job(job["id"])  # run here, not by a worker
    record = queue.store.read(job["id"])
    started = time.perf_counter()
    result = run_job({"job_id": job["id"], "config": record["config"]}, conn=conn, settings=settings)
    elapsed = time.perf_counter() - started
    assert result["status"] == "succeeded", result
    storage.remove_dir(storage.models_root(settings.data_dir) / result["model_id"])
    queue.store.remove(job["id"])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", type=int, default=100, help="steps of the short runs")
    parser.add_argument("--long", type=int, default=1100, help="steps of the long runs")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--config", default='{"batch_size": 16, "base_channels": 64, "latent_dim": 64}',
                        help="TrainConfig fields as JSON (dataset_id and steps are set here)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "train_overhead.json")
    args = parser.parse_args()

    import redis

    from tests.utils.datasets import write_dataset
    from worker.settings import QueueSettings

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        dataset_id = write_dataset(data_dir, num_train=args.images, num_val=0, resolution=args.resolution)
        config = TrainConfig(dataset_id=dataset_id, **json.loads(args.config))
        url, server = _redis_url(data_dir)
        settings = QueueSettings(redis_url=url, data_dir=data_dir, queue_name=f"bench-{uuid.uuid4().hex[:8]}")
        conn = redis.Redis.from_url(url)
        try:
            _bare(config, data_dir, 5)  # warm up: TensorFlow import, first tracing, caches
            times: dict[tuple[str, int], list[float]] = {}
            for repeat in range(args.repeats):
                for steps in (args.short, args.long):
                    for arm, run in (("bare", lambda s: _bare(config, data_dir, s)),
                                     ("worker", lambda s: _worker(config, settings, conn, s))):
                        elapsed = run(steps)
                        times.setdefault((arm, steps), []).append(elapsed)
                        print(f"repeat {repeat + 1}: {arm:6s} {steps:5d} steps {elapsed:7.2f} s", flush=True)
        finally:
            for key in conn.scan_iter(match=f"*{settings.queue_name}*"):
                conn.delete(key)
            if server is not None:
                server.stop()

    def rate(arm: str) -> float:
        extra = statistics.median(times[(arm, args.long)]) - statistics.median(times[(arm, args.short)])
        return (args.long - args.short) / extra

    bare, worker = rate("bare"), rate("worker")
    result = {
        "bare_steps_per_second": round(bare, 3),
        "worker_steps_per_second": round(worker, 3),
        "overhead_fraction": round(1 - worker / bare, 4),
        "goal": "overhead_fraction < 0.05",
        "method": "steps/s = (long - short) / (median time long - median time short), arms interleaved",
        "short_steps": args.short, "long_steps": args.long, "repeats": args.repeats,
        "config": {k: v for k, v in config.model_dump(mode="json").items() if k != "dataset_id"},
        "dataset": {"images": args.images, "resolution": args.resolution, "kind": "random blobs"},
        "seconds": {f"{arm}_{steps}": [round(t, 3) for t in ts] for (arm, steps), ts in times.items()},
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores (shared with other work)",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("bare_steps_per_second", "worker_steps_per_second",
                                             "overhead_fraction")}))


if __name__ == "__main__":
    main()
