"""`python -m models.pretrain`: a base trained from zips, continued in a second stage, with its card."""
import io
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from models import pretrain, storage
from tests.utils.datasets import _blob_image
from tests.utils.features import write_tiny_feature_model

pytestmark = pytest.mark.slow  # two training stages and KID, in-process


def _zip_of_blobs(path, count, seed):
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(count):
            buffer = io.BytesIO()
            Image.fromarray(_blob_image(rng, 16)).save(buffer, format="PNG")
            archive.writestr(f"img{index:02d}.png", buffer.getvalue())
    return path


def _pretrain(monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["pretrain", *map(str, args)])
    pretrain.main()


def test_pretrain_then_continue_counts_both_stages_and_records_kid(tmp_path, monkeypatch):
    first_zip, second_zip = _zip_of_blobs(tmp_path / "a.zip", 6, 0), _zip_of_blobs(tmp_path / "b.zip", 5, 1)
    tiny = ["--resolution", 16, "--base-channels", 16, "--batch-size", 4, "--kid-images", 8,
            "--feature-network", write_tiny_feature_model(tmp_path / "features.keras")]
    first, second = tmp_path / "first", tmp_path / "second"

    _pretrain(monkeypatch, "--zip", first_zip, "--out", first, "--work", tmp_path / "w1", "--steps", 3, *tiny)
    card = storage.read_json(first / storage.MODEL_CARD)
    assert card["card"]["steps"] == 3 and "stages" not in card["card"]
    assert card["metrics"]["kid_vs_source"]["reference"] == "source set (6 of 6 images)"
    assert np.isfinite(card["metrics"]["kid_vs_source"]["kid_mean"])

    _pretrain(monkeypatch, "--zip", first_zip, second_zip, "--continue-from", first, "--out", second,
              "--work", tmp_path / "w2", "--steps", 2, *tiny)
    card = storage.read_json(second / storage.MODEL_CARD)
    assert [stage["steps"] for stage in card["card"]["stages"]] == [3, 2]
    assert card["card"]["steps"] == 5 and card["parent_id"] is None
    assert card["card"]["cpu_seconds"] == round(sum(stage["cpu_seconds"] for stage in card["card"]["stages"]), 1)
    assert card["card"]["data"].startswith("a.zip + b.zip")
    assert card["metrics"]["kid_vs_source"]["reference"] == "source set (8 of 11 images)"
    for name in (storage.GENERATOR_EMA_FILE, storage.DISCRIMINATOR_FILE, storage.SAMPLES_FILE):
        assert (second / name).is_file()
    assert storage.read_json(second / storage.CONFIG_FILE)["steps"] == 2


def test_score_only_records_kid_of_a_saved_model_without_training(tmp_path, monkeypatch):
    source = _zip_of_blobs(tmp_path / "a.zip", 6, 0)
    features = write_tiny_feature_model(tmp_path / "features.keras")
    out = tmp_path / "out"
    tiny = ["--resolution", 16, "--base-channels", 16, "--batch-size", 4, "--feature-network", features]
    _pretrain(monkeypatch, "--zip", source, "--out", out, "--work", tmp_path / "w1", "--steps", 2,
              "--kid-images", 0, *tiny)
    assert "kid_vs_source" not in storage.read_json(out / storage.MODEL_CARD)["metrics"]
    weights = (out / storage.GENERATOR_EMA_FILE).read_bytes()

    _pretrain(monkeypatch, "--zip", source, "--out", out, "--work", tmp_path / "w2", "--score-only",
              "--kid-images", 4, *tiny)
    card = storage.read_json(out / storage.MODEL_CARD)
    assert card["metrics"]["kid_vs_source"]["reference"] == "source set (4 of 6 images)"
    assert card["card"]["steps"] == 2 and (out / storage.GENERATOR_EMA_FILE).read_bytes() == weights


def test_continue_with_projected_pixel_keeps_the_start_models_d_as_pixel_branch(tmp_path, monkeypatch):
    source = _zip_of_blobs(tmp_path / "a.zip", 6, 0)
    tiny = ["--resolution", 16, "--base-channels", 16, "--batch-size", 4, "--kid-images", 0]
    first, second = tmp_path / "first", tmp_path / "second"
    _pretrain(monkeypatch, "--zip", source, "--out", first, "--work", tmp_path / "w1", "--steps", 2, *tiny)
    _pretrain(monkeypatch, "--zip", source, "--continue-from", first, "--out", second, "--work", tmp_path / "w2",
              "--steps", 1, "--discriminator", "projected", "--projected-resolution", 32, "--projected-pixel",
              "--r1-gamma", 0, *tiny)
    card = storage.read_json(second / storage.MODEL_CARD)
    assert card["discriminator"] == "projected" and card["projected_pixel"] is True
    assert storage.read_json(second / storage.CONFIG_FILE)["projected_pixel"] is True
    assert [stage["steps"] for stage in card["card"]["stages"]] == [2, 1]
