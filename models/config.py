"""The validated training config: the job payload, saved as config.json beside the weights."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.ids import ID_PATTERN
from models.latents import Seed

Architecture = Literal["fast", "lite", "dcgan"]
Precision = Literal["auto", "float32", "bfloat16"]
Family = Literal["gan", "vae"]
Method = Literal["full", "freeze_d", "freeze_encoder"]
Augment = Literal["none", "diffaugment", "ada"]

# Fields that shape the networks a run builds from scratch; a fine-tune inherits them from its base
# model, and models.preflight refuses one set explicitly to another value. Add new such fields here.
FROM_SCRATCH_ONLY = ("family", "architecture", "latent_dim", "base_channels", "d_spectral_norm")
DEFAULT_PIXEL_WEIGHT = 0.5  # projected_pixel_weight's default: the pixel logit weighs as much as all patches


class TrainConfig(BaseModel):
    """Everything a training run needs; equal configs give equal runs."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(pattern=ID_PATTERN)
    base_model_id: str | None = Field(None, pattern=ID_PATTERN)  # None: train from scratch
    # "auto": every option left unset follows the best measured recipe for the dataset's size and the
    # base model (models/presets.py); "none": plain defaults.
    preset: Literal["auto", "none"] = "auto"
    steps: int = Field(1000, ge=1, le=1_000_000)
    batch_size: int = Field(32, ge=1, le=512)
    learning_rate: float = Field(2e-4, gt=0, le=0.1)  # for both G and D
    seed: Seed = 0
    method: Method = "full"
    freeze_d_layers: int = Field(2, ge=0, le=8)  # blocks of D frozen by method="freeze_d"
    augment: Augment = "diffaugment"  # "ada": DiffAugment ops applied with an adaptive probability
    ada_target: float = Field(0.6, gt=0, lt=1)  # ADA's r_t target (Karras et al. 2020)
    ada_speed_images: int = Field(20_000, ge=100)  # images for p to move 0 -> 1 (ADA's ada_kimg)
    r1_gamma: float = Field(0.1, ge=0, le=1000)  # R1 penalty weight (Mescheder et al. 2018); 0 = off
    ema: bool = True
    ema_half_life_images: int = Field(10_000, ge=1)  # StyleGAN2's ema_kimg, in images
    # From scratch only; a fine-tune inherits these from its base model.
    family: Family = "gan"
    architecture: Architecture = "lite"
    latent_dim: int = Field(128, ge=2, le=1024)
    base_channels: int = Field(128, ge=8, le=1024)  # widest layer of G and D
    d_spectral_norm: bool = False  # "lite" D: spectral norm instead of relying on R1
    # Deep transfer: "projected" = D reads frozen pretrained EfficientNet-Lite0 features (models/gan/projected.py);
    # usable from scratch or on top of a base generator.
    discriminator: Literal["standard", "projected"] = "standard"
    projected_resolution: int = Field(128, ge=32, le=256)  # the projected D's feature network input size
    # Projected only: a pixel-space D (the base's own, or a fresh one from scratch) judges beside the
    # feature-space patches with equal weight; keeps outlines and colours the frozen features miss.
    projected_pixel: bool = False
    # Share of the hinge loss the pixel branch carries (the feature patches share the rest); 0.5 = each
    # patch and the pixel logit count alike in half the loss each.
    projected_pixel_weight: float = Field(DEFAULT_PIXEL_WEIGHT, gt=0, lt=1)
    # Fine-tunes of a GAN: weight of the cross-domain correspondence loss (CDC, Ojha et al. 2021;
    # models/gan/cdc.py) that keeps samples as distinct from each other as the base's are; 0 = off.
    cdc_weight: float = Field(0.0, ge=0, le=100_000)
    # bfloat16 compute (float32 weights) where the hardware runs it fast; "auto" decides per machine
    # (models/precision.py). Saved networks are float32 either way.
    precision: Precision = "auto"
    vae_beta: float = Field(1.0, gt=0, le=100)  # VAE: weight of the KL term
    # Reporting and checkpoints.
    preview_every: int = Field(200, ge=1)
    checkpoint_every: int = Field(500, ge=1)
    # Validation: KID against the dataset's validation split every eval_every steps (None = only at
    # the end); keep_best serves the EMA generator of the evaluation with the lowest KID.
    eval_every: int | None = Field(None, ge=1)
    eval_images: int = Field(256, ge=16, le=10_000)
    keep_best: bool = True

    @model_validator(mode="after")
    def _check_freeze(self) -> "TrainConfig":
        if self.method == "freeze_d" and self.discriminator == "projected":
            raise ValueError("method 'freeze_d' does not apply to the projected discriminator: its feature network is always frozen")
        if self.projected_pixel and self.discriminator != "projected":
            raise ValueError("projected_pixel applies to discriminator='projected' only")
        explicit_no_pixel = ("projected_pixel" in self.model_fields_set and not self.projected_pixel) or (
            "discriminator" in self.model_fields_set and self.discriminator != "projected")
        if self.projected_pixel_weight != DEFAULT_PIXEL_WEIGHT and explicit_no_pixel:  # the default: in every saved config
            # unset projected_pixel may still be filled in by the preset; models.preflight checks the result
            raise ValueError("projected_pixel_weight applies to the projected discriminator with its pixel branch only")
        if self.discriminator == "projected" and self.r1_gamma > 0:
            # The feature network's resize has no second derivative in TensorFlow, and Projected GAN
            # trains without R1 anyway: unset means off, an explicit value is a mistake to report.
            if "r1_gamma" in self.model_fields_set:
                raise ValueError("r1_gamma does not apply to the projected discriminator (it trains without R1): leave it unset or 0")
            self.r1_gamma = 0.0
        if self.cdc_weight > 0 and self.base_model_id is None:
            raise ValueError("cdc_weight needs a base_model_id: it keeps a fine-tune close to its base generator")
        if self.method != "full" and self.base_model_id is None:
            raise ValueError(f"method '{self.method}' needs a base_model_id: it freezes pretrained layers")
        return self
