"""`python -m app.serve` without REDIS_URL: embedded Redis + worker + API up, and all down on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.conftest import REPO_ROOT, stop_process
from tests.utils.waiting import wait_for

pytestmark = pytest.mark.slow  # starts the whole service as processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _start_serve(env: dict, log_path, port: int) -> subprocess.Popen:
    """`python -m app.serve` with `env`, once its API answers /readyz (its output goes to `log_path`)."""
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=REPO_ROOT, env=env,
                                    stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: launcher.poll() is not None or _ready(f"http://127.0.0.1:{port}/readyz"),
                 timeout=60, what="the API to be ready")
        assert launcher.poll() is None, log_path.read_text()
    except BaseException:
        stop_process(launcher)
        raise
    return launcher


def test_serve_starts_everything_and_stops_it(tmp_path):
    import psutil

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUEUE_NAME")}
    env.update(DATA_DIR=str(tmp_path / "data"), PORT=str(port), QUEUE_NAME="serve-test", LOG_LEVEL="WARNING")
    launcher = _start_serve(env, tmp_path / "serve.log", port)
    try:
        children = psutil.Process(launcher.pid).children()
        commands = sorted(" ".join(c.cmdline()[1:3]) for c in children)
        assert commands == ["-m uvicorn", "-m worker"]
        redis_server = [p for p in psutil.process_iter(["cwd"]) if p.info["cwd"] == str(tmp_path / "data" / "redis")]
        assert len(redis_server) == 1

        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(30) == 0
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children + redis_server)
    finally:
        stop_process(launcher)


def test_serve_on_a_network_address_needs_a_key_first(tmp_path):
    """No key and HOST=0.0.0.0: it refuses to start and says what to do; after `python -m jobs.keys create`
    (on the same DATA_DIR, before the service runs) it starts and wants that key."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUEUE_NAME", "ALLOW_ANONYMOUS")}
    env.update(DATA_DIR=str(tmp_path / "data"), PORT=str(port), HOST="0.0.0.0", QUEUE_NAME="serve-test",
               LOG_LEVEL="WARNING")
    refused = subprocess.run([sys.executable, "-m", "app.serve"], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode != 0 and "ALLOW_ANONYMOUS" in refused.stdout + refused.stderr

    made = subprocess.run([sys.executable, "-m", "jobs.keys", "create", "--name", "admin", "--role", "admin"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    launcher = _start_serve(env, tmp_path / "serve.log", port)
    try:
        url = f"http://127.0.0.1:{port}/v1/datasets"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {made.stdout.strip()}"}).status_code == 200
    finally:
        stop_process(launcher)
