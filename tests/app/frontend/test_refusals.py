"""What the page says when the API refuses something: the API's own message, next to what caused it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.utils.datasets import write_dataset

pytestmark = pytest.mark.slow


def test_refused_upload_shows_the_api_message(page, page_problems):
    page_problems.allow("status of 422")
    page.goto("/#/datasets")
    page.set_input_files("#upload-files", files=[{"name": "broken.zip", "mimeType": "application/zip",
                                                  "buffer": b"this is not a zip archive"}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Upload refused: broken.zip is not a zip archive.")
    expect(page.locator("#dataset-list")).to_contain_text("No datasets yet")


def test_refused_job_options_are_shown_next_to_their_fields(page, page_problems, data_dir):
    page_problems.allow("status of 422")
    write_dataset(data_dir, resolution=16, name="blobs")
    page.goto("/#/train")
    expect(page.locator("#base-scratch")).to_be_checked()  # no 16x16 base here: from scratch
    page.locator("#train-advanced summary").click()
    expect(page.locator("#opt-batch_size")).to_have_attribute("max", "512")  # limits from the OpenAPI schema
    page.fill("#opt-steps", "0")
    page.fill("#opt-learning_rate", "0.5")
    page.click("#train-submit")
    expect(page.locator("#opt-steps-error")).to_have_text("Input should be greater than or equal to 1")
    expect(page.locator("#opt-learning_rate-error")).to_have_text("Input should be less than or equal to 0.1")
    expect(page.locator("#opt-steps")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Not started: Some values are not accepted")
    assert page.url.endswith("#/train")

    page.fill("#opt-steps", "5")
    page.fill("#opt-learning_rate", "0.0002")
    page.click("#train-submit")
    page.wait_for_url(re.compile(r"#/jobs/[0-9a-f]+$"))  # accepted: the job page
