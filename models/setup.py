"""Building the GAN a config asks for: fresh from scratch, or from a saved base model."""
from __future__ import annotations

from pathlib import Path

import keras

from models import storage
from models.config import TrainConfig
from models.errors import TrainingError
from models.gan.diffaugment import DiffAugment
from models.gan.model import GAN
from models.gan.networks import build_discriminator, build_generator, discriminator_blocks


def load_base(data_dir: Path, base_model_id: str) -> tuple[Path, dict]:
    folder = storage.model_dir(data_dir, base_model_id)
    if folder is None:
        raise TrainingError(f"base model '{base_model_id}' does not exist")
    card = storage.read_json(folder / storage.MODEL_CARD)
    if card.get("family", "gan") != "gan" or not (folder / storage.DISCRIMINATOR_FILE).is_file():
        raise TrainingError(f"base model '{base_model_id}' has no discriminator, so it cannot be fine-tuned as a GAN")
    return folder, card


def _copy_of(model: keras.Model) -> keras.Model:
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _networks_from_base(config, data_dir, resolution):
    folder, card = load_base(data_dir, config.base_model_id)
    if card["resolution"] != resolution:
        raise TrainingError(
            f"dataset resolution {resolution} does not match base model '{config.base_model_id}' "
            f"resolution {card['resolution']}; upload the dataset at resolution {card['resolution']}"
        )
    # The base's EMA generator is its product, so both G and EMA G start from it.
    ema_generator = keras.saving.load_model(folder / storage.GENERATOR_EMA_FILE, compile=False, safe_mode=True)
    discriminator = keras.saving.load_model(folder / storage.DISCRIMINATOR_FILE, compile=False, safe_mode=True)
    return _copy_of(ema_generator), ema_generator, discriminator, card


def _fresh_networks(config, resolution):
    generator = build_generator(config.architecture, resolution, config.latent_dim, config.base_channels)
    discriminator = build_discriminator(config.architecture, resolution, config.base_channels, config.d_spectral_norm)
    return generator, _copy_of(generator), discriminator, None


def freeze_discriminator_blocks(discriminator: keras.Model, count: int) -> None:
    """FreezeD (Mo et al. 2020): keep the first `count` pretrained D blocks fixed."""
    available = discriminator_blocks(discriminator) - 1  # the last block (the head) always trains
    if count > available:
        raise TrainingError(f"freeze_d_layers={count} but this discriminator has only {available} freezable blocks")
    for layer in discriminator.layers:
        if layer.name.startswith("b") and int(layer.name[1:].split("_")[0]) < count:
            layer.trainable = False


def build_training_gan(config: TrainConfig, data_dir: Path, resolution: int) -> tuple[GAN, dict | None]:
    """The GAN for this run and the base model's card (None from scratch)."""
    keras.utils.set_random_seed(config.seed)
    if config.base_model_id is not None:
        generator, ema_generator, discriminator, base_card = _networks_from_base(config, data_dir, resolution)
    else:
        generator, ema_generator, discriminator, base_card = _fresh_networks(config, resolution)
    if config.method == "freeze_d":
        freeze_discriminator_blocks(discriminator, config.freeze_d_layers)
    augmenter = DiffAugment(seed=config.seed) if config.augment != "none" else None
    if config.augment == "ada":
        augmenter.probability.assign(0.0)  # ADA starts unaugmented and raises p as D overfits
    gan = GAN(
        generator, discriminator, ema_generator, augmenter=augmenter,
        ema_half_life_images=config.ema_half_life_images, use_ema=config.ema, r1_gamma=config.r1_gamma,
        ada_target=config.ada_target if config.augment == "ada" else None,
        ada_speed_images=config.ada_speed_images, seed=config.seed,
    )
    gan.compile(
        g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.99),  # beta_1 0.5: GAN practice
        d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.99),
    )
    return gan, base_card
