"""The one check of a training config against its dataset and base model, before anything trains.

The API calls `preflight` before it enqueues a job (a refusal is a 422 with the error's code) and
the trainer calls it first thing (a refusal fails the job with the same message), so a request the
trainer would refuse is refused at once, in the same words. TF-free: it reads dataset.json, the base's
model.json and config.json, and looks for the base's files.

On a fine-tune, the fields in models.config.FROM_SCRATCH_ONLY come from the base. One that the request
sets explicitly (pydantic's `model_fields_set`) to another value than the base's is refused rather than
silently ignored; `preflight` returns the config with the base's values filled in, which is what
trains and what the run folder's config.json records.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import datasets, storage
from models.config import DEFAULT_PIXEL_WEIGHT, FROM_SCRATCH_ONLY, TrainConfig
from models.datasets import DatasetMeta
from models.errors import TrainingError
from models.presets import apply_preset

MIN_TRAIN_IMAGES = 2
FAMILY_METHODS = {"gan": ("full", "freeze_d"), "vae": ("full", "freeze_encoder")}  # what each family can freeze


class PreflightError(TrainingError):
    """The request cannot train: `code` names why (the API's error code), the message says what to do."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class BaseModelInfo:
    """A saved model that a fine-tune starts from: its folder, card (model.json) and config.json."""

    id: str
    folder: Path
    card: dict
    config: dict

    @property
    def family(self) -> str:
        return self.card.get("family", "gan")

    def value(self, field: str) -> Any:
        """What the base's networks have for a from-scratch-only field (None: it does not record it).

        The card first (it says what the networks are), then the config it was trained with."""
        return self.card[field] if field in self.card else self.config.get(field)


def read_base(data_dir: Path, base_model_id: str) -> BaseModelInfo:
    """The base model, or PreflightError when it does not exist or lacks what fine-tuning needs."""
    folder = storage.model_dir(data_dir, base_model_id)
    if folder is None:
        raise PreflightError("unknown_base_model", f"Base model {base_model_id!r} does not exist.")
    card = storage.read_json(folder / storage.MODEL_CARD)
    config_file = folder / storage.CONFIG_FILE
    base = BaseModelInfo(base_model_id, folder, card, storage.read_json(config_file) if config_file.is_file() else {})
    partner = storage.FAMILY_FILES.get(base.family)
    if partner is None or not (folder / partner).is_file():
        raise PreflightError("base_not_trainable", f"Base model {base_model_id!r} lacks its "
                                                   f"{partner or 'networks'}, so it cannot be fine-tuned.")
    return base


def preflight(config: TrainConfig, data_dir: Path) -> TrainConfig:
    """Check the config against its dataset and base model (PreflightError when it cannot train); returns
    the config to train, with what a fine-tune inherits from its base."""
    found = datasets.find(data_dir, config.dataset_id)
    if found is None:
        raise PreflightError("unknown_dataset", f"Dataset {config.dataset_id!r} does not exist (was it deleted?).")
    base = read_base(data_dir, config.base_model_id) if config.base_model_id is not None else None
    # preset "auto": options the request leaves unset follow the recipe for this dataset and base.
    try:
        config = apply_preset(config, found[1].num_train, base.card if base is not None else None)
    except ValidationError as e:  # an option the request set does not go with what the recipe chose
        reasons = "; ".join(error["msg"] for error in e.errors())
        raise PreflightError("not_applicable", f"{reasons} (set the conflicting option explicitly, "
                                               "or send preset='none').") from e
    check(config, found[1], base)
    return inherit(config, base)


def check(config: TrainConfig, dataset: DatasetMeta, base: BaseModelInfo | None) -> None:
    """Every rule that needs the dataset or the base (rules on the config alone live in TrainConfig)."""
    if dataset.num_train < MIN_TRAIN_IMAGES:
        raise PreflightError("too_few_images", f"Dataset {dataset.id!r} has {dataset.num_train} training image(s); "
                                               f"training needs at least {MIN_TRAIN_IMAGES}.")
    family = base.family if base is not None else config.family
    if family == "vae" and config.discriminator != "standard":
        raise PreflightError("not_applicable", f"discriminator={config.discriminator!r} applies to GANs; "
                                               "a VAE has no discriminator.")
    if config.projected_pixel_weight != DEFAULT_PIXEL_WEIGHT and not config.projected_pixel:
        raise PreflightError("not_applicable", "projected_pixel_weight applies to the projected discriminator "
                                               "with its pixel branch (projected_pixel) only.")
    if family == "vae" and config.cdc_weight > 0:
        raise PreflightError("not_applicable", "cdc_weight applies to fine-tunes of a GAN base model.")
    if base is None:
        return
    _check_resolution(config, dataset, base)
    if config.method not in FAMILY_METHODS[family]:
        raise PreflightError("not_applicable", f"method {config.method!r} does not apply to a {family.upper()} "
                                               f"base model; use one of {', '.join(FAMILY_METHODS[family])}.")
    base_projected, base_pixel = base.card.get("discriminator") == "projected", bool(base.card.get("projected_pixel"))
    if base_projected and config.discriminator != "projected" and not base_pixel:
        raise PreflightError("not_applicable", f"Base model {base.id!r} has a projected discriminator without a "
                                               "pixel branch; fine-tune it with discriminator='projected'.")
    if base_projected and config.discriminator == "projected" and config.projected_pixel != base_pixel:
        raise PreflightError("not_applicable", f"Base model {base.id!r} has a projected discriminator "
                                               f"{'with' if base_pixel else 'without'} a pixel "
                                               f"branch; a fine-tune keeps it (leave projected_pixel unset).")
    _check_inherited_fields(config, base)


def inherit(config: TrainConfig, base: BaseModelInfo | None) -> TrainConfig:
    """The config with the base's values for the from-scratch-only fields it records."""
    if base is None:
        return config
    inherited = {field: base.value(field) for field in FROM_SCRATCH_ONLY if base.value(field) is not None}
    return config.model_copy(update=inherited)


def _check_resolution(config: TrainConfig, dataset: DatasetMeta, base: BaseModelInfo) -> None:
    base_resolution = base.card.get("resolution")
    if base_resolution == dataset.resolution:
        return
    message = (f"Dataset {dataset.id!r} is {dataset.resolution}x{dataset.resolution} but base model {base.id!r} "
               f"makes {base_resolution}x{base_resolution} images; upload the dataset again with "
               f"resolution={base_resolution} or choose a base model of resolution {dataset.resolution}.")
    details = {"dataset_resolution": dataset.resolution, "base_model_resolution": base_resolution}
    raise PreflightError("resolution_mismatch", message, details)


def _check_inherited_fields(config: TrainConfig, base: BaseModelInfo) -> None:
    conflicts = {}
    for field in FROM_SCRATCH_ONLY:
        requested, inherited = getattr(config, field), base.value(field)
        if field in config.model_fields_set and inherited is not None and requested != inherited:
            conflicts[field] = {"requested": requested, "base": inherited}
    if conflicts:
        given = ", ".join(f"{field}={c['requested']!r} (the base has {c['base']!r})" for field, c in conflicts.items())
        raise PreflightError("from_scratch_only", f"{given}: these options only apply when training from scratch; "
                                                  f"a fine-tune of {base.id!r} inherits them. Leave them out.",
                             conflicts)
