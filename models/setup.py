"""Building the model a config asks for: fresh from scratch, or from a saved base model.

The family (GAN or VAE) comes from the config when training from scratch and from the base
model's card when fine-tuning.
"""
from __future__ import annotations

from pathlib import Path

import keras

from models import storage
from models.config import TrainConfig
from models.errors import TrainingError
from models.gan.diffaugment import DiffAugment
from models.gan.model import GAN
from models.gan.networks import build_discriminator, build_generator, discriminator_blocks
from models.gan.projected import build_projected_discriminator, is_projected, pixel_discriminator_of
from models.loading import load_network
from models.preflight import BaseModelInfo, read_base
from models.precision import resolve as resolve_precision
from models.precision import with_policy
from models.vae.model import VAE
from models.vae.networks import build_encoder


def _copy_of(model: keras.Model) -> keras.Model:
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def freeze_discriminator_blocks(discriminator: keras.Model, count: int) -> None:
    """FreezeD (Mo et al. 2020): keep the first `count` pretrained D blocks fixed."""
    available = discriminator_blocks(discriminator) - 1  # the last block (the head) always trains
    if count > available:
        raise TrainingError(f"freeze_d_layers={count} but this discriminator has only {available} freezable blocks")
    for layer in discriminator.layers:
        if layer.name.startswith("b") and int(layer.name[1:].split("_")[0]) < count:
            layer.trainable = False


def _build_gan(config, networks, source_generator=None) -> GAN:
    generator, ema_generator, discriminator = networks
    policy = resolve_precision(config.precision)  # G and D train in it; the EMA generator stays float32
    generator, discriminator = with_policy(generator, policy), with_policy(discriminator, policy)
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
        loss="hinge" if is_projected(discriminator) else "logistic",  # Projected GAN's loss for its patch logits
        source_generator=source_generator, cdc_weight=config.cdc_weight,
        pixel_weight=config.projected_pixel_weight,
    )
    gan.compile(
        g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.99),  # beta_1 0.5: GAN practice
        d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=0.99),
    )
    return gan


def _build_vae(config, networks) -> VAE:
    generator, ema_generator, encoder = networks
    if config.method == "freeze_encoder":
        encoder.trainable = False  # fine-tune only the decoder on the target images
    vae = VAE(encoder, generator, ema_generator, beta=config.vae_beta,
              ema_half_life_images=config.ema_half_life_images, use_ema=config.ema, seed=config.seed)
    vae.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return vae


def _base_partner(config, base: BaseModelInfo, resolution):
    """The base's discriminator (or encoder); a fresh projected D when the run asks for one the base lacks;
    the pixel branch alone when the run asks for the standard D on a base whose projected D has one
    (models.preflight refuses the standard D on a projected base without a pixel branch)."""
    base_is_projected = base.card.get("discriminator") == "projected"
    if base.family == "gan" and config.discriminator == "projected" and not base_is_projected:
        # deep transfer on a base G; the base's pretrained D becomes the pixel branch when asked
        pixel = load_network(base.folder / storage.DISCRIMINATOR_FILE) if config.projected_pixel else None
        return build_projected_discriminator(resolution, config.projected_resolution, pixel_discriminator=pixel)
    if base.family == "gan" and config.discriminator == "standard" and base_is_projected:
        return pixel_discriminator_of(load_network(base.folder / storage.DISCRIMINATOR_FILE))
    return load_network(base.folder / storage.FAMILY_FILES[base.family])


def _fresh_discriminator(config, resolution):
    """From scratch: the standard D, or the projected D (with a fresh standard D as its pixel branch when asked)."""
    if config.discriminator == "projected" and not config.projected_pixel:
        return build_projected_discriminator(resolution, config.projected_resolution)
    standard = build_discriminator(config.architecture, resolution, config.base_channels, config.d_spectral_norm)
    if config.discriminator != "projected":
        return standard
    return build_projected_discriminator(resolution, config.projected_resolution, pixel_discriminator=standard)


def build_training_model(config: TrainConfig, data_dir: Path, resolution: int):
    """The training model (GAN or VAE) for this run and the base model's card (None from scratch).

    The config is one models.preflight has checked (training.train does that first)."""
    keras.utils.set_random_seed(config.seed)
    if config.base_model_id is not None:
        base = read_base(data_dir, config.base_model_id)
        base_card, family = base.card, base.family
        # The base's EMA generator is its product, so both G and EMA G start from it.
        ema_generator = load_network(base.folder / storage.GENERATOR_EMA_FILE)
        networks = (_copy_of(ema_generator), ema_generator, _base_partner(config, base, resolution))
    else:
        base_card, family = None, config.family
        generator = build_generator("lite" if family == "vae" else config.architecture, resolution,
                                    config.latent_dim, config.base_channels)
        third = (build_encoder(resolution, config.latent_dim, config.base_channels) if family == "vae" else
                 _fresh_discriminator(config, resolution))
        networks = (generator, _copy_of(generator), third)
    if family == "vae":
        return _build_vae(config, networks), base_card
    # CDC's frozen source: the base's generator (a resumed run rebuilds it from the base, as here)
    source = _copy_of(networks[1]) if config.cdc_weight > 0 else None
    return _build_gan(config, networks, source), base_card

