"""Real `python -m worker` subprocesses that tests can kill in the ways production kills them."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.conftest import REPO_ROOT, stop_process, worker_env


class WorkerProcess:
    """One worker subprocess (the RQ parent) and, while it trains, its work horse (a child)."""

    def __init__(self, settings, log_path: Path):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "worker"], cwd=REPO_ROOT, env=worker_env(settings),
                                            stdout=log, stderr=subprocess.STDOUT)
        self._horses: set[int] = set()

    def horse(self) -> psutil.Process | None:
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return None
        self._horses.update(c.pid for c in children)
        return children[0] if children else None

    def kill(self) -> None:
        """SIGKILL the worker and its horse at once: a crashed container or machine."""
        horse = self.horse()
        self.process.kill()
        if horse is not None:
            horse.kill()
        self.process.wait(10)

    def kill_horse(self) -> int:
        """SIGKILL only the horse (the kernel's OOM killer); returns its pid."""
        horse = self.horse()
        assert horse is not None, "no work horse to kill"
        horse.kill()
        return horse.pid

    def kill_parent(self) -> None:
        """SIGKILL only the worker parent; its horse lives on as an orphan."""
        self.horse()
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        stop_process(self.process)
        for pid in self._horses:  # orphans of kill_parent, if a test failed before they finished
            try:
                psutil.Process(pid).send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
