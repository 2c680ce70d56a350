"""Debian's Chromium driven by Playwright, and a real API server (uvicorn) in a subprocess, for browser tests.

No browser can be downloaded on the machines this project runs on, so Playwright launches the
system's /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) instead of its own build.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.utils.waiting import wait_for

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    # Nothing but the page's own requests: no updates, sync, field trials or first-run pages.
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--mute-audio",
]


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it) "
                           "or set CHROMIUM_PATH to a Chromium binary")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api_server(env: dict[str, str], cwd: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`uvicorn app.main:create_app` on a free local port; returns the process and its base URL once /readyz answers."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: process.poll() is not None or _ready(url), timeout=90, interval=0.2, what="the API server")
    if process.poll() is not None:
        raise RuntimeError(f"the API server exited at start:\n{log_path.read_text(errors='replace')}")
    return process, url


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
