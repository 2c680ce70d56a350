"""The VAE family: trains from scratch, fine-tunes from a VAE base, freezes its encoder, serves by seed."""
import numpy as np
import pytest

from models import storage
from models.errors import TrainingError
from models.images import encode_png
from models.loading import load_generator
from models.setup import build_training_model
from models.training import train
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

pytestmark = pytest.mark.slow  # trains a VAE base, then fine-tunes it


@pytest.fixture
def vae_base(data_dir, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=7)
    run_dir = storage.models_root(data_dir) / "vae-base"
    train(tiny_config(dataset_id, family="vae", steps=3, learning_rate=1e-3), data_dir=data_dir,
          run_dir=run_dir, model_id="vae-base")
    return "vae-base"


def test_vae_run_folder_and_serving(data_dir, vae_base):
    folder = storage.models_root(data_dir) / vae_base
    card = storage.read_json(folder / storage.MODEL_CARD)
    assert card["family"] == "vae" and (folder / storage.ENCODER_FILE).is_file()
    assert not (folder / storage.DISCRIMINATOR_FILE).exists()
    generator = load_generator(vae_base, data_dir)
    assert generator.family == "vae"
    assert encode_png(generator.generate([3])[0]) == encode_png(load_generator(vae_base, data_dir).generate([3])[0])


def test_vae_fine_tune_with_frozen_encoder_keeps_it_identical(data_dir, vae_base, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=8)
    config = tiny_config(dataset_id, base_model_id=vae_base, method="freeze_encoder", steps=3, learning_rate=1e-3)
    before, _ = build_training_model(config, data_dir, 16)
    card = train(config, data_dir=data_dir, run_dir=tmp_path / "ft", model_id="ft")
    assert card["family"] == "vae" and card["parent_id"] == vae_base
    from models.loading import load_network

    encoder = load_network(tmp_path / "ft" / storage.ENCODER_FILE)
    decoder = load_network(tmp_path / "ft" / storage.GENERATOR_FILE)
    assert all(np.array_equal(a, b) for a, b in zip(encoder.get_weights(), before.encoder.get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(decoder.get_weights(), before.generator.get_weights()))


def test_gan_methods_are_refused_for_a_vae_base(data_dir, vae_base, tmp_path):
    dataset_id = write_dataset(data_dir, num_train=6, seed=9)
    with pytest.raises(TrainingError, match="does not apply to a VAE"):
        train(tiny_config(dataset_id, base_model_id=vae_base, method="freeze_d"), data_dir=data_dir,
              run_dir=tmp_path / "x", model_id="x")
