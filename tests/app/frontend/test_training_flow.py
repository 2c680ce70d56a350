"""The whole path in Chromium: upload a zip by the file input, see its preview and the rejected files,
start a fine-tune of a tiny base with the form, watch it train (progress, preview, chart, events) until
it succeeds, then explore its seeds: the image shown is byte for byte the API's image of that seed."""
from __future__ import annotations

import io
import re

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.app.factories import zip_bytes
from tests.utils.datasets import _blob_image
from tests.utils.features import write_tiny_feature_model

pytestmark = pytest.mark.slow

STEPS = 600  # several progress reports (one a second) even on a fast machine
SEED = 5


@pytest.fixture
def worker_process(monkeypatch, tmp_path, request):
    """The conftest's worker, with a tiny KID feature network so eval_every gives KID points to chart."""
    monkeypatch.setenv("FEATURE_NETWORK", str(write_tiny_feature_model(tmp_path / "features.keras")))
    return request.getfixturevalue("worker_process")


def blob_zip() -> bytes:
    """8 distinct 16x16 images, one exact duplicate and a text file: 8 kept, 2 rejected."""
    rng = np.random.default_rng(1)
    members = {}
    for index in range(8):
        buffer = io.BytesIO()
        Image.fromarray(_blob_image(rng, 16)).save(buffer, "PNG")
        members[f"blobs/{index}.png"] = buffer.getvalue()
    members["blobs/copy-of-0.png"] = members["blobs/0.png"]
    members["blobs/notes.txt"] = b"not an image"
    return zip_bytes(members)


def loaded(page, selector: str) -> None:
    """Wait until the <img> is decoded (naturalWidth > 0)."""
    page.wait_for_function("s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }",
                           arg=selector)


def test_upload_finetune_watch_and_explore(page, live_server, tiny_base_model, worker_process, screenshot_dir):
    # Upload: the file input, a name, the resolution of the tiny base.
    page.goto("/#/datasets")
    page.set_input_files("#upload-files", files=[{"name": "blobs.zip", "mimeType": "application/zip", "buffer": blob_zip()}])
    page.fill("#upload-name", "blobs")
    page.select_option("#upload-resolution", "16")
    page.get_by_role("button", name="Upload", exact=True).click()
    uploaded = page.locator(".uploaded")
    expect(uploaded.locator(".alert.success")).to_contain_text("8 images at 16×16")
    expect(uploaded.locator(".rejected")).to_contain_text("2 files skipped")
    expect(uploaded.locator(".rejected")).to_contain_text("notes.txt — not an image")
    expect(uploaded.locator(".rejected")).to_contain_text("copy-of-0.png — an exact duplicate")
    expect(page.locator("form.upload .progress-text")).to_have_text("Done")
    loaded(page, ".uploaded img.preview")
    expect(page.locator("#dataset-list li")).to_have_count(1)

    # The new fine-tune form: the dataset and the only 16x16 base are preselected; a few options changed.
    uploaded.get_by_role("link", name="Fine-tune on it").click()
    expect(page.locator(f"#base-{tiny_base_model}")).to_be_checked()
    expect(page.locator("#base-emoji64-gan")).to_be_disabled()  # 64x64: says to upload at 64x64
    page.locator("#train-advanced summary").click()
    # Options the recipe picks start empty ("recipe"); choosing one sends it (the standard D keeps this test fast).
    expect(page.locator("#opt-discriminator")).to_have_value("")
    expect(page.locator("#opt-steps")).to_have_attribute("placeholder", "recipe")
    page.select_option("#opt-discriminator", "standard")
    for name, value in {"steps": STEPS, "batch_size": 4, "preview_every": 50, "eval_every": 200, "eval_images": 16}.items():
        page.fill(f"#opt-{name}", str(value))
    page.evaluate("""() => { window.progressSeen = []; new MutationObserver(() => {
        const bar = document.getElementById('job-progress'); if (bar) window.progressSeen.push(bar.value);
      }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['value']}); }""")
    page.click("#train-submit")
    page.wait_for_url(re.compile(r"#/jobs/[0-9a-f]+$"))
    job_id = page.url.rsplit("/", 1)[1]

    expect(page.locator("#job-status")).to_have_text("succeeded")
    expect(page.locator("#job-progress-text")).to_have_text(f"Step {STEPS} of {STEPS} (100%)")
    seen = page.evaluate("window.progressSeen")
    assert any(0 < value < 1 for value in seen), f"the bar never showed training under way: {seen}"
    assert seen == sorted(seen), f"the bar went backwards: {seen}"
    loaded(page, "#job-preview")
    expect(page.locator("#job-preview-caption")).to_contain_text(f"Step {STEPS}")
    expect(page.locator("#job-chart svg.chart polyline.line-g")).to_have_count(1)
    expect(page.locator("#job-chart svg.chart circle.line-kid")).to_have_count(STEPS // 200)  # 200, 400, 600
    events = page.locator("#job-events li")
    expect(events.filter(has_text="started")).to_have_count(1)
    expect(events.filter(has_text="evaluated")).to_have_count(STEPS // 200)
    expect(events.last).to_contain_text("finished")
    job = httpx.get(f"{live_server}/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["config"]["steps"] == STEPS and job["config"]["batch_size"] == 4
    assert job["config"]["discriminator"] == "standard" and job["config"]["projected_pixel"] is False

    # The seed explorer: the large image of a seed is the API's PNG of that seed, byte for byte.
    bodies = {}
    page.on("response", lambda r: re.search(r"/images/\d+\.png", r.url) and bodies.setdefault(r.url, r.body()))
    page.click("#job-explore")
    page.locator(f"button.seed[data-seed='{SEED}']").click()
    loaded(page, "#seed-large")
    src = page.eval_on_selector("#seed-large", "img => img.src")
    image_url = f"{live_server}/v1/models/{job['model_id']}/images/{SEED}.png"
    assert src == image_url
    expected = httpx.get(image_url).content
    assert bodies[src] == expected
    assert page.eval_on_selector("#seed-large", "img => [img.naturalWidth, img.naturalHeight]") == [16, 16]
    expect(page.locator("#seed-curl")).to_have_text(f"curl -o {job['model_id']}-seed{SEED}.png '{image_url}'")
    expect(page.locator("#seed-download")).to_have_attribute("href", f"/v1/models/{job['model_id']}/images/{SEED}.png")
    permalink = page.get_attribute("#seed-permalink", "href")
    assert f"seed={SEED}" in permalink
    page.screenshot(path=screenshot_dir / "seed-explorer.png", full_page=True)

    # The permalink opens the same view; the truncation slider changes every image URL.
    page.goto("/#/")
    page.goto(permalink)
    expect(page.locator("#seed-view-title")).to_have_text(f"Seed {SEED}")
    page.fill("#explore-psi", "0.5")
    page.dispatch_event("#explore-psi", "change")
    expect(page.locator("#seed-large")).to_have_attribute("src", re.compile(r"truncation=0\.5$"))
    assert page.get_attribute(f"button.seed[data-seed='{SEED}'] img", "src").endswith(f"/images/{SEED}.png?truncation=0.5")

    # An interpolation GIF between two seeds.
    page.fill("#interp-a", "1")
    page.fill("#interp-b", "2")
    page.fill("#interp-steps", "4")
    page.click("#interp-make")
    loaded(page, "#interp-gif")
