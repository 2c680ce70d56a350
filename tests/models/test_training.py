"""Training runs end to end on tiny models: run folder, fine-tune start, FreezeD, abort, resume."""
import numpy as np
import pytest

from models import storage
from models.checkpoints import CHECKPOINT_NAME
from models.errors import TrainingAborted, TrainingError
from models.latents import latents_for_seeds
from models.loading import load_generator, load_network
from models.setup import build_training_model
from models.training import train
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config


def _run(config, data_dir, tmp_path, name="run", **hooks):
    return train(config, data_dir=data_dir, run_dir=tmp_path / name, model_id=name, **hooks)


def test_scratch_run_writes_a_self_describing_folder(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6)
    reports = []
    card = _run(tiny_config(dataset_id, steps=3), data_dir, tmp_path, progress_fn=reports.append)
    run = tmp_path / "run"
    for name in (storage.CONFIG_FILE, storage.MODEL_CARD, storage.GENERATOR_FILE, storage.GENERATOR_EMA_FILE,
                 storage.DISCRIMINATOR_FILE, storage.SAMPLES_FILE, storage.METRICS_FILE):
        assert (run / name).is_file(), name
    assert storage.read_json(run / storage.CONFIG_FILE)["steps"] == 3
    assert card["resolution"] == 16 and card["parent_id"] is None and card["latent_dim"] == 8
    assert reports[-1].step == reports[-1].total_steps == 3 and reports[-1].fraction == 1.0
    assert reports[-1].images_per_second > 0 and reports[-1].losses.g is not None


def test_fine_tune_starts_from_the_base_and_scratch_does_not(data_dir, tiny_base_model):
    dataset_id = write_dataset(data_dir, num_train=6, seed=3)
    base = load_generator(tiny_base_model, data_dir)
    latents = latents_for_seeds([0, 1, 2], base.latent_dim)
    expected = np.asarray(base.network(latents, training=False))

    fine_tune, _ = build_training_model(tiny_config(dataset_id, base_model_id=tiny_base_model), data_dir, 16)
    assert np.array_equal(np.asarray(fine_tune.ema_generator(latents, training=False)), expected)
    # the trained G starts from the base's weights (it may compute in bfloat16: models/precision.py, on AMX CPUs)
    assert [w.path for w in fine_tune.generator.weights] == [w.path for w in base.network.weights]
    assert all(np.array_equal(np.asarray(a), np.asarray(b))
               for a, b in zip(fine_tune.generator.weights, base.network.weights, strict=True))

    scratch, _ = build_training_model(tiny_config(dataset_id), data_dir, 16)
    assert not np.allclose(np.asarray(scratch.ema_generator(latents, training=False)), expected)


@pytest.mark.slow  # trains for seconds
def test_freeze_d_keeps_frozen_blocks_bit_identical(data_dir, tiny_base_model, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=4)
    config = tiny_config(dataset_id, base_model_id=tiny_base_model, method="freeze_d", freeze_d_layers=1, steps=3)
    before, _ = build_training_model(config, data_dir, 16)
    _run(config, data_dir, tmp_path)
    after = load_saved_discriminator(tmp_path / "run")
    changed = {layer.name: any(not np.array_equal(a, b) for a, b in zip(layer.get_weights(), before.discriminator.get_layer(layer.name).get_weights()))
               for layer in after.layers if layer.weights}
    assert not any(v for k, v in changed.items() if k.startswith("b0_")), changed
    assert any(v for k, v in changed.items() if not k.startswith("b0_")), changed


def load_saved_discriminator(run_dir):
    return load_network(run_dir / storage.DISCRIMINATOR_FILE)


@pytest.mark.slow  # trains for seconds
def test_abort_leaves_a_checkpoint_and_a_rerun_resumes_from_it(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6)
    config = tiny_config(dataset_id, steps=6)
    calls = {"n": 0}

    def abort_after_two_steps():
        calls["n"] += 1
        return calls["n"] >= 2

    with pytest.raises(TrainingAborted):
        _run(config, data_dir, tmp_path, abort_fn=abort_after_two_steps)
    assert (tmp_path / "run" / "checkpoints" / CHECKPOINT_NAME).is_file()
    reports = []
    _run(config, data_dir, tmp_path, progress_fn=reports.append)
    assert reports[0].step == 3  # resumed after the 2 finished steps
    assert reports[-1].step == 6


def test_resolution_mismatch_and_small_datasets_are_training_errors(data_dir, tiny_base_model, tmp_path):
    wrong_size = write_dataset(data_dir, num_train=6, resolution=32)
    with pytest.raises(TrainingError, match="is 32x32 but base model .* makes 16x16 images"):
        _run(tiny_config(wrong_size, base_model_id=tiny_base_model), data_dir, tmp_path)
    too_small = write_dataset(data_dir, num_train=1, num_val=0)
    with pytest.raises(TrainingError, match="training needs at least 2"):
        _run(tiny_config(too_small), data_dir, tmp_path)
    with pytest.raises(TrainingError, match="does not exist"):
        _run(tiny_config("missing"), data_dir, tmp_path)
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.slow  # trains for seconds
def test_keep_best_serves_the_generator_of_the_best_evaluation(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6)
    scripted = iter([0.5, 0.1, 0.9])  # steps 2, 4 and the final step 6: step 4 is best
    snapshots = {}

    def evaluator(generator):
        kid = next(scripted)
        snapshots[kid] = [w.copy() for w in generator.get_weights()]
        return {"kid_mean": kid, "kid_std": 0.0, "feature_network": "scripted", "reference": "validation"}

    config = tiny_config(dataset_id, steps=6, eval_every=2)
    card = _run(config, data_dir, tmp_path, evaluator=evaluator)
    assert card["metrics"]["kid_mean"] == 0.1 and card["metrics"]["served_step"] == 4
    assert card["metrics"]["final"]["kid_mean"] == 0.9
    served = load_generator_network(tmp_path / "run")
    assert all(np.array_equal(a, b) for a, b in zip(served.get_weights(), snapshots[0.1]))
    events = [row for row in storage.read_jsonl(tmp_path / "run" / storage.METRICS_FILE) if row.get("event")]
    assert [e["step"] for e in events] == [2, 4, 6]


@pytest.mark.slow  # trains for seconds
def test_keep_best_off_serves_the_last_generator(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6)
    scripted = iter([0.1, 0.9])
    evaluator = lambda g: {"kid_mean": next(scripted), "kid_std": 0.0}  # noqa: E731
    card = _run(tiny_config(dataset_id, steps=4, eval_every=2, keep_best=False), data_dir, tmp_path, evaluator=evaluator)
    assert card["metrics"]["kid_mean"] == 0.9 and card["metrics"]["served_step"] == 4


def load_generator_network(run_dir):
    return load_network(run_dir / storage.GENERATOR_EMA_FILE)


@pytest.mark.slow  # trains for seconds
def test_ada_moves_the_augmentation_probability(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6)
    config = tiny_config(dataset_id, steps=8, augment="ada", ada_speed_images=100)
    reports = []
    _run(config, data_dir, tmp_path, progress_fn=reports.append)
    p = [report.augment_p for report in reports]
    assert p[0] == 0.0 and p[-1] > 0.0  # ADA starts unaugmented; D's confidence on reals raised p
    rows = storage.read_jsonl(tmp_path / "run" / storage.METRICS_FILE)
    assert rows and all(0.0 <= r["augment_p"] <= 1.0 for r in rows if "augment_p" in r)


@pytest.mark.slow  # trains for seconds
def test_a_fine_tune_with_cdc_logs_the_term(data_dir, tiny_base_model, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=5)
    _run(tiny_config(dataset_id, base_model_id=tiny_base_model, cdc_weight=50.0, steps=4), data_dir, tmp_path)
    rows = [r for r in storage.read_jsonl(tmp_path / "run" / storage.METRICS_FILE) if "g_loss" in r]
    assert rows and rows[-1]["cdc"] > 0


def test_cdc_source_is_the_base_generator_whatever_the_run_has_trained(data_dir, tiny_base_model):
    """A resumed run rebuilds the frozen source from the base, so it equals the first attempt's."""
    dataset_id = write_dataset(data_dir, num_train=6, seed=5)
    config = tiny_config(dataset_id, base_model_id=tiny_base_model, cdc_weight=50.0)
    model, _ = build_training_model(config, data_dir, 16)
    base = load_generator(tiny_base_model, data_dir).network
    latents = latents_for_seeds([0, 1], 8)
    for weight in model.generator.trainable_weights:
        weight.assign(weight + 0.5)  # training moves G ...
    source_image = np.asarray(model.cdc_source(latents, training=False)[0])
    assert np.array_equal(source_image, np.asarray(base(latents, training=False)))  # ... never the source
    assert not model.cdc_source.trainable_weights
