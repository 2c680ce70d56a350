"""A long job followed in Chromium: the bar moves and a preview appears; a reload keeps following it
(resuming the event stream with Last-Event-ID); without the stream the page polls; cancel from the page
(a running job, and one waiting in the queue); the dataset it uses cannot be deleted meanwhile, and the
page says why."""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.utils.datasets import write_dataset

pytestmark = pytest.mark.slow

STEP_RE = re.compile(r"Step ([\d,]+) of")


def start_long_job(base_url: str, data_dir, base_model_id: str) -> str:
    dataset_id = write_dataset(data_dir, resolution=16, name="blobs")
    body = {"dataset_id": dataset_id, "base_model_id": base_model_id, "steps": 1_000_000, "batch_size": 4,
            "preview_every": 20, "checkpoint_every": 100_000}
    response = httpx.post(f"{base_url}/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def shown_step(page) -> int:
    match = STEP_RE.match(page.inner_text("#job-progress-text"))
    return int(match.group(1).replace(",", "")) if match else 0


def wait_for_step_above(page, step: int) -> int:
    page.wait_for_function("""n => { const m = /Step ([\\d,]+) of/.exec(document.getElementById('job-progress-text')?.textContent ?? '');
        return m && Number(m[1].replace(/,/g, '')) > n; }""", arg=step)
    return shown_step(page)


def test_follow_then_cancel_from_the_page(page, page_problems, live_server, data_dir, tiny_base_model, worker_process, screenshot_dir):
    job_id = start_long_job(live_server, data_dir, tiny_base_model)
    page.goto(f"/#/jobs/{job_id}")
    expect(page.locator("#job-status")).to_have_text("running")
    first = wait_for_step_above(page, 0)
    wait_for_step_above(page, first)  # the bar moves
    page.wait_for_function("() => document.getElementById('job-preview').naturalWidth > 0")
    expect(page.locator("#job-chart svg.chart polyline.line-d")).to_have_count(1)
    expect(page.locator("#job-mode")).to_have_text("Live")
    page.screenshot(path=screenshot_dir / "job-training.png", full_page=True)

    # A second job waits behind it, shows its place in the queue, and is canceled before it starts.
    dataset_id = httpx.get(f"{live_server}/v1/jobs/{job_id}").json()["config"]["dataset_id"]
    waiting = httpx.post(f"{live_server}/v1/jobs", json={"dataset_id": dataset_id, "base_model_id": tiny_base_model})
    page.goto(f"/#/jobs/{waiting.json()['id']}")
    expect(page.locator("#job-progress-text")).to_have_text("Waiting: next to start")
    page.click("#job-cancel")
    page.get_by_role("group", name="Confirm").get_by_role("button", name="Cancel job").click()
    expect(page.locator("#job-status")).to_have_text("canceled")
    expect(page.locator("#job-events li").last).to_contain_text("canceled before it started")

    # Its dataset cannot be deleted while it trains: the API's 409, in words, with the job linked.
    page_problems.allow("status of 409")  # the browser logs every failed request
    page.goto(f"/#/datasets/{dataset_id}")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete dataset").click()
    expect(page.get_by_role("alert")).to_contain_text("is used by 1 queued or running job(s); cancel them first")
    page.get_by_role("link", name=job_id[:8]).click()

    page.click("#job-cancel")
    page.get_by_role("group", name="Confirm").get_by_role("button", name="Cancel job").click()
    expect(page.locator("#job-status")).to_have_text("canceled")
    expect(page.locator("#job-outcome")).to_contain_text("Canceled")
    expect(page.locator("#job-cancel")).to_be_hidden()
    events = page.locator("#job-events li")
    expect(events.filter(has_text="cancel_requested")).to_have_count(1)
    expect(events.last).to_contain_text("canceled")
    assert httpx.get(f"{live_server}/v1/jobs/{job_id}").json()["status"] == "canceled"


@pytest.fixture
def stream_requests(page):
    """Last-Event-ID of every request for the SSE stream the page makes (None when it sends none)."""
    seen = []
    page.on("request", lambda r: "stream=true" in r.url and seen.append(r.headers.get("last-event-id")))
    return seen


def test_reload_keeps_following_and_polling_stands_in(page, page_problems, live_server, data_dir, tiny_base_model,
                                                      worker_process, stream_requests):
    job_id = start_long_job(live_server, data_dir, tiny_base_model)
    page.goto(f"/#/jobs/{job_id}")
    before = wait_for_step_above(page, 0)
    expect(page.locator("#job-events li").filter(has_text="started")).to_have_count(1)
    last_seq = httpx.get(f"{live_server}/v1/jobs/{job_id}/events").json()[-1]["seq"]

    page.reload()
    after = wait_for_step_above(page, before)
    assert after > before
    assert stream_requests[-1] == str(last_seq)  # the reloaded page resumed the stream after what it had
    expect(page.locator("#job-events li").filter(has_text="started")).to_have_count(1)  # shown once, not twice

    # No event stream (a proxy that drops it): after a few failed tries the page polls instead.
    page_problems.allow(r"net::ERR_FAILED")
    page.route(re.compile(r"/events\?stream=true"), lambda route: route.abort())
    page.reload()
    expect(page.locator("#job-mode")).to_have_attribute("data-mode", "polling")
    expect(page.locator("#job-mode")).to_contain_text("checking every 2 s")
    wait_for_step_above(page, wait_for_step_above(page, after))
    httpx.post(f"{live_server}/v1/jobs/{job_id}/cancel")
    expect(page.locator("#job-status")).to_have_text("canceled")
