"""`python -m app.serve`: the one command that runs transfergen on one machine.

Starts, as children: an RQ worker (`python -m worker`) and the API (uvicorn, `app.main:create_app`
factory, on HOST:PORT, default 127.0.0.1:8000). Without REDIS_URL it first starts the embedded
Redis of DATA_DIR and hands the children its unix-socket URL, so this process owns the server for
the service's lifetime. Ctrl-C / SIGTERM stops the API, then the worker (a running training job gets
a few seconds to checkpoint and pause, and the next start resumes it from there), then Redis. If a child dies, everything
stops and the exit code says so: run it under a supervisor (systemd, Docker) to restart.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading

from jobs.embedded_redis import EmbeddedRedis
from jobs.settings import QueueSettings

log = logging.getLogger("app.serve")

API_STOP_GRACE_S = 10  # uvicorn finishes open requests
WORKER_STOP_GRACE_S = 15  # a running job pauses at a checkpoint in ~5 s; then RQ's second SIGTERM kills it
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ServeSettings(QueueSettings):
    host: str = "127.0.0.1"  # HOST
    port: int = 8000  # PORT


def main() -> int:
    settings = ServeSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())

    # HOST too: the API refuses to start without API keys on a non-loopback HOST (app.security.loopback).
    env = dict(os.environ, DATA_DIR=str(settings.data_dir.resolve()), HOST=settings.host)
    redis_server = None
    children: dict[str, subprocess.Popen] = {}
    try:
        if not settings.redis_url:
            redis_server = EmbeddedRedis(settings.data_dir)
            env["REDIS_URL"] = redis_server.start()
            log.info("embedded redis at %s (db in %s)", env["REDIS_URL"], redis_server.folder)
        children["worker"] = _spawn([sys.executable, "-m", "worker"], env)
        children["api"] = _spawn([
            sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
            "--host", settings.host, "--port", str(settings.port), "--log-level", settings.log_level.lower(),
        ], env)
        log.info("transfergen on http://%s:%s (Ctrl-C to stop)", settings.host, settings.port)
        return _supervise(children, redis_server, stop)
    finally:
        stop_child(children.get("api"), [(signal.SIGTERM, API_STOP_GRACE_S)])
        stop_child(children.get("worker"), [(signal.SIGTERM, WORKER_STOP_GRACE_S), (signal.SIGTERM, 10)])
        if redis_server is not None:
            redis_server.stop()
        log.info("stopped")


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Own session: a terminal's Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM if this launcher dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: children then outlive a killed launcher


def _supervise(children: dict[str, subprocess.Popen], redis_server: EmbeddedRedis | None, stop) -> int:
    """Wait for a stop signal (exit 0) or a dead child / dead embedded Redis (exit 1)."""
    while not stop.wait(0.5):
        for name, child in children.items():
            if child.poll() is not None:
                log.error("%s exited with code %s; stopping", name, child.returncode)
                return child.returncode or 1
        if redis_server is not None and not redis_server.is_running():
            log.error("embedded redis stopped; stopping")
            return 1
    return 0


def stop_child(child: subprocess.Popen | None, steps: list[tuple[int, float]]) -> None:
    """Send each (signal, seconds to wait) in turn until the child exits, then SIGKILL (also used by the tests)."""
    if child is None:
        return
    for sig, grace in [*steps, (signal.SIGKILL, 10)]:
        if child.poll() is not None:
            return
        child.send_signal(sig)
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            pass


if __name__ == "__main__":
    sys.exit(main())
