"""Managing what is there, in Chromium: images dropped on the upload zone, model cards with lineage and
delete (shipped bases cannot be deleted), a dataset deleted after a confirm, the seed explorer by
keyboard, a share link of a user's image, every page at phone width, and /docs without the internet."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from models import storage
from tests.app.factories import distinct_pngs, write_model_card
from tests.utils.datasets import write_dataset

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fine_tune_of(data_dir):
    """make(parent_id) -> the id of a model card that says it was fine-tuned from `parent_id` (its samples copied)."""
    def make(parent_id: str) -> str:
        dataset_id = write_dataset(data_dir, resolution=16, name="blobs")
        folder = write_model_card(data_dir, "child-model", parent_id=parent_id, dataset_id=dataset_id, job_id=None,
                                  created_at="2030-01-01T00:00:00+00:00", card={"description": "a fine-tune", "steps": 5})
        shutil.copy(storage.models_root(data_dir) / parent_id / storage.SAMPLES_FILE, folder / storage.SAMPLES_FILE)
        return folder.name
    return make


def test_images_dropped_on_the_upload_zone(page, data_dir):
    """Several images (not a zip) dropped with the mouse: they go up as `files`."""
    page.goto("/#/datasets")
    page.wait_for_selector(".dropzone")
    pngs = [list(data) for data in distinct_pngs(3)]
    page.evaluate("""pngs => {
        const transfer = new DataTransfer();
        pngs.forEach((bytes, i) => transfer.items.add(new File([new Uint8Array(bytes)], `img${i}.png`, {type: 'image/png'})));
        document.querySelector('.dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
      }""", pngs)
    expect(page.locator("form.upload p.muted").first).to_contain_text("3 files (3 images)")
    page.select_option("#upload-resolution", "16")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".uploaded .alert.success")).to_contain_text("3 images at 16×16")
    expect(page.locator("#dataset-list li")).to_have_count(1)


def test_api_docs_render_without_the_internet(page):
    """Swagger UI from the app's own files (the page fixture fails on any request that leaves the server)."""
    page.goto("/docs")
    expect(page.locator(".opblock-summary-path[data-path='/v1/jobs/{job_id}/metrics']")).to_have_count(1)
    assert page.locator(".opblock").count() > 20


def test_model_cards_lineage_and_delete(page, data_dir, tiny_base_model, fine_tune_of):
    child = fine_tune_of(tiny_base_model)
    page.goto(f"/#/models/{child}")
    lineage = page.get_by_role("navigation", name="Lineage")
    expect(lineage).to_have_text(f"{tiny_base_model} → {child}")
    lineage.get_by_role("link", name=tiny_base_model).click()
    expect(page.get_by_role("navigation", name="Lineage")).to_have_text(f"{tiny_base_model} → {child}")  # its child
    expect(page.locator("dl.facts").first).to_contain_text("1 model")  # "Fine-tunes of it"

    page.goto("/#/models")
    cards = page.locator("#model-list > li")
    shipped = cards.filter(has_text="shipped base model")
    expect(shipped).to_have_count(2)  # emoji64-gan and emoji64-vae
    expect(shipped.get_by_role("button", name="Delete")).to_have_count(0)
    card = page.locator(f"#model-list > li[data-model='{child}']")
    expect(card).to_contain_text(f"fine-tuned from {tiny_base_model}")
    card.get_by_role("button", name="Delete").click()
    card.get_by_role("button", name="Keep it").click()  # changed their mind: nothing happens
    expect(card).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    card.get_by_role("button", name="Delete model").click()
    expect(page.locator(f"#model-list > li[data-model='{child}']")).to_have_count(0)
    assert storage.model_dir(data_dir, child) is None


def test_delete_a_dataset_after_confirming(page, data_dir):
    dataset_id = write_dataset(data_dir, resolution=16, name="old blobs")
    page.goto(f"/#/datasets/{dataset_id}")
    expect(page.locator("h1")).to_have_text("old blobs")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete dataset").click()
    page.wait_for_url("**/#/datasets")
    expect(page.locator("#dataset-list")).to_contain_text("No datasets yet")
    assert not (storage.datasets_root(data_dir) / dataset_id).exists()


def test_seed_explorer_by_keyboard(page, tiny_base_model):
    page.goto(f"/#/models/{tiny_base_model}/explore")
    page.focus("button.seed[data-seed='0']")
    for _ in range(3):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#seed-view-title")).to_have_text("Seed 3")
    assert page.evaluate("document.activeElement.id") == "seed-view"  # focus follows to the large view
    page.focus("#explore-next")
    page.keyboard.press("Enter")
    expect(page.locator("button.seed").first).to_have_attribute("data-seed", "24")
    assert "start=24" in page.url and "seed=3" in page.url


def test_every_page_fits_a_phone(browser, live_server, page_problems, tiny_base_model, data_dir):
    dataset_id = write_dataset(data_dir, resolution=16, name="a dataset with a rather long name for a phone screen")
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.on("console", page_problems.console)
    page.on("pageerror", lambda error: page_problems.seen.append(f"uncaught: {error}"))
    routes = ["/", "/datasets", f"/datasets/{dataset_id}", "/train", "/jobs", "/models", f"/models/{tiny_base_model}",
              f"/models/{tiny_base_model}/explore?seed=7"]
    for route in routes:
        page.goto(f"/#{route}")
        page.wait_for_selector("main h1")
        page.wait_for_load_state("load")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{route} is wider than the phone: {width}"
    context.close()
    assert page_problems.unexpected() == []


def test_a_share_link_shows_a_users_image_without_a_key(page, live_server, tiny_base_model, data_dir, settings):
    """With a user key: the curl line names the key by variable, and a share link opens the image with no header."""
    import httpx

    from jobs.connection import connect
    from jobs.keys import KeyStore
    from jobs.ownership import write_owner

    made = KeyStore(connect(settings), settings.queue_name).create("browser", "user")
    write_owner(storage.models_root(data_dir) / tiny_base_model, made.record.id)  # the user's own model
    page.add_init_script(f"localStorage.setItem('transfergen.apiKey', {made.key!r})")  # before the page's scripts
    page.goto(f"/#/models/{tiny_base_model}/explore?seed=7")
    expect(page.locator("#seed-curl")).to_contain_text('-H "Authorization: Bearer $TRANSFERGEN_API_KEY"')
    assert made.key not in page.content()
    page.click("#seed-share", timeout=20_000)
    shared = page.locator("#seed-share-url").get_attribute("href")
    image_path = f"/v1/models/{tiny_base_model}/images/7.png"
    assert shared.startswith(f"{live_server}{image_path}?token=")
    with_key = httpx.get(f"{live_server}{image_path}", headers={"Authorization": f"Bearer {made.key}"})
    assert httpx.get(f"{live_server}{image_path}").status_code == 401
    assert httpx.get(shared).content == with_key.content and with_key.headers["content-type"] == "image/png"
