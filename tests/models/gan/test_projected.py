"""Deep transfer: the projected discriminator's pretrained features stay frozen while its heads learn."""
import numpy as np
import pytest

from models import storage
from models.config import TrainConfig
from models.gan.projected import build_projected_discriminator, is_projected
from models.setup import build_training_model
from models.training import train
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

pytestmark = pytest.mark.slow  # builds and trains the projected discriminator's feature network


def _frozen_and_heads(discriminator):
    features = discriminator.get_layer("frozen_features")
    heads = [layer for layer in discriminator.layers if layer.name.startswith("head") and layer.weights]
    return [w.copy() for w in features.get_weights()], [w.copy() for h in heads for w in h.get_weights()]


def test_only_the_heads_train(data_dir, tiny_base_model):
    dataset_id = write_dataset(data_dir, num_train=6, seed=5)
    config = tiny_config(dataset_id, base_model_id=tiny_base_model, discriminator="projected", steps=2)
    model, _ = build_training_model(config, data_dir, 16)
    assert is_projected(model.discriminator)
    frozen_before, heads_before = _frozen_and_heads(model.discriminator)
    model.fit(_batches(), epochs=1, steps_per_epoch=2, verbose=0)
    frozen_after, heads_after = _frozen_and_heads(model.discriminator)
    assert all(np.array_equal(a, b) for a, b in zip(frozen_before, frozen_after))
    assert not all(np.array_equal(a, b) for a, b in zip(heads_before, heads_after))


def _batches():
    import tensorflow as tf

    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(images).repeat().batch(4)


def test_projected_run_saves_and_reloads(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=6)
    card = train(tiny_config(dataset_id, discriminator="projected", steps=2), data_dir=data_dir,
                 run_dir=tmp_path / "run", model_id="run")
    assert card["discriminator"] == "projected"
    from models.loading import load_network

    saved = load_network(tmp_path / "run" / storage.DISCRIMINATOR_FILE)
    assert is_projected(saved)


def test_freeze_d_with_projected_is_rejected():
    with pytest.raises(ValueError, match="projected"):
        TrainConfig(dataset_id="d", base_model_id="b", method="freeze_d", discriminator="projected")


def test_feature_network_runs_at_native_resolution():
    discriminator = build_projected_discriminator(32)
    shapes = [tuple(o.shape[1:3]) for o in discriminator.get_layer("frozen_features").outputs]
    assert shapes == [(None, None), (None, None)] or shapes == [(4, 4), (2, 2)]
    assert discriminator(np.zeros((2, 32, 32, 3), "float32")).shape == (2, 1)
