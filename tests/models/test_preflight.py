"""models.preflight: one check of a config against its dataset and base, TF-free (stand-in bases, no training)."""
from __future__ import annotations

import pytest

from models import preflight, storage
from models.config import FROM_SCRATCH_ONLY, TrainConfig
from models.preflight import PreflightError
from tests.app.factories import write_model_card
from tests.utils.datasets import write_dataset


@pytest.fixture
def base(data_dir) -> str:
    """A GAN base whose card records family/architecture/latent_dim and whose config.json records the rest."""
    folder = write_model_card(data_dir, "base", architecture="dcgan", latent_dim=8)
    storage.write_json_atomic(folder / storage.CONFIG_FILE, {"base_channels": 32, "d_spectral_norm": True,
                                                             "latent_dim": 999})  # the card wins over this
    return folder.name


def _check(data_dir, **fields):
    return preflight.preflight(TrainConfig(dataset_id=write_dataset(data_dir), **fields), data_dir)


def test_every_from_scratch_only_field_is_a_config_field():
    assert set(FROM_SCRATCH_ONLY) <= set(TrainConfig.model_fields)


def test_a_fine_tune_gets_its_base_values_and_keeps_everything_else(data_dir, base):
    config = _check(data_dir, base_model_id=base, steps=7)
    inherited = {field: getattr(config, field) for field in FROM_SCRATCH_ONLY}
    assert inherited == {"family": "gan", "architecture": "dcgan", "latent_dim": 8, "base_channels": 32,
                         "d_spectral_norm": True}
    assert config.steps == 7
    assert _check(data_dir, base_model_id=base, latent_dim=8, base_channels=32).latent_dim == 8  # equal: fine


def test_only_fields_the_request_set_are_refused(data_dir, base):
    with pytest.raises(PreflightError) as refused:
        _check(data_dir, base_model_id=base, base_channels=128, d_spectral_norm=False)
    assert refused.value.code == "from_scratch_only"
    assert refused.value.details == {"base_channels": {"requested": 128, "base": 32},
                                     "d_spectral_norm": {"requested": False, "base": True}}


def test_the_list_in_models_config_is_what_is_checked(data_dir, base, monkeypatch):
    """A field added to FROM_SCRATCH_ONLY is inherited and guarded without other changes."""
    monkeypatch.setattr(preflight, "FROM_SCRATCH_ONLY", (*FROM_SCRATCH_ONLY, "vae_beta"))
    storage.write_json_atomic(storage.model_dir(data_dir, base) / storage.CONFIG_FILE, {"vae_beta": 2.0})
    assert _check(data_dir, base_model_id=base).vae_beta == 2.0
    with pytest.raises(PreflightError, match="vae_beta=3.0"):
        _check(data_dir, base_model_id=base, vae_beta=3.0)


def test_from_scratch_nothing_is_inherited_or_refused(data_dir, base):
    config = TrainConfig(dataset_id=write_dataset(data_dir), latent_dim=16, family="vae")
    assert preflight.preflight(config, data_dir) == config


def test_unknown_ids_and_a_too_small_dataset(data_dir, base):
    codes = []
    for config in (TrainConfig(dataset_id="missing"),
                   TrainConfig(dataset_id=write_dataset(data_dir), base_model_id="missing"),
                   TrainConfig(dataset_id=write_dataset(data_dir, num_train=1, num_val=0))):
        with pytest.raises(PreflightError) as refused:
            preflight.preflight(config, data_dir)
        codes.append(refused.value.code)
    assert codes == ["unknown_dataset", "unknown_base_model", "too_few_images"]


def test_cdc_needs_a_gan_base(data_dir, base):
    with pytest.raises(ValueError, match="cdc_weight needs a base_model_id"):
        TrainConfig(dataset_id="d", cdc_weight=10.0)
    assert _check(data_dir, base_model_id=base, cdc_weight=10.0).cdc_weight == 10.0
    write_model_card(data_dir, "vae-base", family="vae", latent_dim=8)
    with pytest.raises(PreflightError, match="cdc_weight applies to fine-tunes of a GAN") as refused:
        _check(data_dir, base_model_id="vae-base", cdc_weight=10.0)
    assert refused.value.code == "not_applicable"
