"""Recipes as data: what `preset: "auto"` fills in for the options a job leaves unset.

A user who sends only `dataset_id` and `base_model_id` gets the best recipe measured for a dataset
of that size on that kind of base (bench/transfer_curve.py; README "Results"). Options the user sets
are never changed, and the resolved config (every field explicit) is what the job runs and saves,
so a saved config.json reruns the same recipe even after these tables change.

TensorFlow-free: the API resolves presets before it enqueues.
"""
from __future__ import annotations

from models.config import TrainConfig

# By the dataset's number of training images: the first row whose bound is >= that number applies.
FINE_TUNE_RECIPES: list[tuple[int | None, dict]] = [
    (30, dict(steps=1000, augment="diffaugment", learning_rate=1e-4)),  # few-shot: gentler, stop early
    (None, dict(steps=1500, augment="diffaugment", learning_rate=2e-4)),
]
# What a from-scratch run (no base model) gets, by family: the recipe the shipped base was trained with
# (emoji64-gan: the plain defaults, lite G and D with R1). The "fast" G and the projected D trained no
# better base per CPU-minute in our from-scratch runs (README "Results"), so they stay opt-in.
FROM_SCRATCH_RECIPES: dict[str, dict] = {
    "gan": {},
    "vae": {},
}


def _discriminator_recipe(base_card: dict) -> dict:
    """Fine-tunes keep the base's discriminator kind; a projected D trains without R1 (Projected GAN)."""
    if base_card.get("family", "gan") != "gan":
        return {}
    kind = base_card.get("discriminator") or "standard"
    recipe = {"discriminator": kind, "r1_gamma": 0.0 if kind == "projected" else 0.1}
    if kind == "projected" and base_card.get("projected_resolution"):
        recipe["projected_resolution"] = base_card["projected_resolution"]
    return recipe


def recipe_for(num_train: int, base_card: dict | None, family: str = "gan") -> dict:
    """The preset's options for a dataset of `num_train` training images and a base (None: from scratch,
    in `family`)."""
    if base_card is None:
        return dict(FROM_SCRATCH_RECIPES[family])
    for bound, recipe in FINE_TUNE_RECIPES:
        if bound is None or num_train <= bound:
            return {**recipe, **_discriminator_recipe(base_card)}
    raise AssertionError("the last recipe row has no bound")


def apply_preset(config: TrainConfig, num_train: int, base_card: dict | None) -> TrainConfig:
    """The config with every option the user left unset taken from the preset (a no-op for preset "none")."""
    if config.preset != "auto":
        return config
    recipe = recipe_for(num_train, base_card, config.family)
    chosen = {k: v for k, v in recipe.items() if k not in config.model_fields_set}
    # Validates the combination; the fields the user set and the preset chose count as set (preflight
    # tells a user's explicit choice from a default by that).
    return TrainConfig.model_validate({**config.model_dump(exclude_unset=True), **chosen})
