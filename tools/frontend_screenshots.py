"""Screenshots of the frontend for the README: the job page while a real fine-tune trains, and the seed explorer.

Runs the README's first command (`python -m app.serve`: embedded Redis, one worker, the API) on a fresh
DATA_DIR and a free port, then drives Debian's Chromium (Playwright) the way a user would: upload
tests/data/openmoji100.zip, fine-tune the shipped emoji64-gan with KID evaluations, take the job page
mid-run, wait for the model, and take its seed explorer with one seed opened large.

    .venv/bin/python tools/frontend_screenshots.py --out docs/screenshots     # ~4 min on the 2-core CPU

Needs the test extras (playwright) and /usr/bin/chromium (see .ci/run).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.utils.browser import free_port, launch_chromium  # noqa: E402  (the same Chromium setup as the tests)
from tests.utils.waiting import wait_for  # noqa: E402

WAIT_MS = 15 * 60 * 1000
OPTIONS = {"steps": 300, "preview_every": 25, "eval_every": 100, "eval_images": 64}
SEED = 12
GIF_TO = 18  # the interpolation runs from SEED to this seed


def start_service(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUEUE_NAME")}
    env.update(DATA_DIR=str(data_dir), PORT=str(port), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2")
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115  (kept open for the child's lifetime)
    process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None

    wait_for(ready, timeout=120, interval=0.5, what="python -m app.serve")
    if process.poll() is not None:
        raise SystemExit(f"app.serve exited:\n{(data_dir / 'serve.log').read_text()}")
    return process


def shoot(base_url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(base_url=base_url, viewport={"width": 1200, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.goto("/#/datasets")
        page.set_input_files("#upload-files", REPO / "tests" / "data" / "openmoji100.zip")
        page.fill("#upload-name", "OpenMoji 100")
        page.get_by_role("button", name="Upload", exact=True).click()
        page.get_by_role("link", name="Fine-tune on it").click()
        page.check("#base-emoji64-gan")
        page.locator("#train-advanced summary").click()
        for name, value in OPTIONS.items():
            page.fill(f"#opt-{name}", str(value))
        page.click("#train-submit")
        page.wait_for_url("**/#/jobs/*")
        # Mid-run: after the first KID evaluation, with a preview and the chart drawn.
        page.wait_for_function("""() => {
            const m = /Step ([\\d,]+) of/.exec(document.getElementById('job-progress-text')?.textContent ?? '');
            return m && Number(m[1].replace(/,/g, '')) >= 140 && document.getElementById('job-preview').naturalWidth > 0
              && document.querySelector('#job-chart circle.line-kid'); }""")
        page.screenshot(path=out / "job-training.png", full_page=True)
        page.wait_for_selector("#job-explore")
        page.click("#job-explore")
        page.locator(f"button.seed[data-seed='{SEED}']").click()
        page.get_by_role("button", name="Interpolate from here (A)").click()
        page.fill("#interp-b", str(GIF_TO))
        page.click("#interp-make")
        page.wait_for_function("""() => [...document.querySelectorAll('#seed-grid img, #seed-large, #interp-gif')]
            .every(img => img.complete && img.naturalWidth > 0) && document.getElementById('interp-gif')""")
        page.screenshot(path=out / "seed-explorer.png", full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="transfergen-shots-") as folder:
        port = free_port()
        service = start_service(Path(folder), port)
        try:
            shoot(f"http://127.0.0.1:{port}", args.out.resolve())
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(60)
    print(f"wrote {args.out / 'job-training.png'} and {args.out / 'seed-explorer.png'}")


if __name__ == "__main__":
    main()
