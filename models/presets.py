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
# Measured with bench/transfer_curve.py (README "Quality per CPU-minute"); the step counts keep a default
# 100-image job under 15 CPU-minutes with the projected D (~1.2 CPU-s per step at batch 32 on an Intel Xeon; jobs
# measured 12-13); the few-shot row's 1,200 steps cost ~29 CPU-minutes on a 2-core AMD EPYC (default_job_fewshot.json).
# CDC (cdc_weight, models/gan/cdc.py) is not in the recipes: at 10 shots it slowed the fade to blank tiles at
# 10 CPU-minutes but was worse on KID, SWD and blank share at 30 (bench/results/transfer_curve_cdc.json).
# Few-shot (<= 30 images): the pixel branch at 20% of the loss and 1,200 steps. At 10 shots, side by side
# (bench/results/transfer_curve_pixel_weight.json), the 50% default of the projected D faded to blank tiles
# (blank share 0.57 at 600 steps) and reached KID 0.080 at 1,200; 20% kept shapes (blank 0.33 at 600 steps)
# and reached KID 0.070, blank 0.25 at 1,200.
# Larger sets keep 0.5 and 600 steps: at 100 shots a 0.35 share and 1,200 steps were measured against them (two seeds
# of bench/transfer_curve.py and one API job each; bench/results/transfer_curve_pixel_weight_100*.json,
# default_job_100_pixel*.json) and the differences stayed within the run-to-run spread (~0.01 KID): at ~1,330
# steps the two shares average KID-EffLite0 0.058 (0.5) vs 0.060 (0.35), and through the API 600 steps at 0.5 gave
# 0.070 where 1,200 at 0.35 gave 0.078. Twice the CPU for no measured gain, so the cheaper recipe stays.
# Also measured at 100 shots and left out (README "Learning rate and batch", "Keeping the best evaluation"):
# lr 4e-4 and batch 16 stayed within the run-to-run spread on OpenMoji and vscode-icons; eval_every=100 with
# keep_best picked between in-job KIDs that differed by less than their own error, for 11-20% more CPU.
FINE_TUNE_RECIPES: list[tuple[int | None, dict]] = [
    (30, dict(steps=1200, augment="diffaugment", learning_rate=1e-4, projected_pixel_weight=0.2)),
    (None, dict(steps=600, augment="diffaugment", learning_rate=2e-4)),
]
# The discriminator a fine-tune of a GAN base gets. Default: deep transfer, the Projected GAN D on frozen
# EfficientNet-Lite0 features (input 64: 128 costs 2.4x per step), with the base's own pretrained D as
# its pixel branch; it beat the standard D on KID (both networks) at 10 CPU-minutes at 10 and 100 shots.
# "standard" is the base's own D alone (R1, logistic loss), for users who ask for it or for options only
# it takes; it trains ~2.5x more steps per CPU-minute, so it gets more of them.
DISCRIMINATOR_RECIPES: dict[str, dict] = {
    "projected": dict(discriminator="projected", projected_resolution=64, projected_pixel=True, r1_gamma=0.0),
    "standard": dict(discriminator="standard", r1_gamma=0.1, steps=1500),
}
# What a from-scratch run (no base model) gets, by family: the recipe the shipped base was trained with from
# scratch (emoji64-gan's stages 1-2: the plain defaults, lite G and D with R1; its stage 3 continued with the
# projected D). The "fast" G and the projected D trained no better base per CPU-minute in our from-scratch
# runs (README "Results"), so they stay opt-in.
FROM_SCRATCH_RECIPES: dict[str, dict] = {
    "gan": {},
    "vae": {},
}


def _wants_standard_d(config: TrainConfig) -> bool:
    """The user asked for the standard D, or for options only it takes (R1, FreezeD)."""
    chosen = config.model_fields_set
    return (("discriminator" in chosen and config.discriminator == "standard")
            or ("r1_gamma" in chosen and config.r1_gamma > 0) or config.method == "freeze_d")


def _discriminator_recipe(config: TrainConfig, base_card: dict) -> dict:
    """A base with a projected D keeps it as it is (or, with a pixel branch, gives the standard recipe that
    branch when the user asks for it); other GAN bases get DISCRIMINATOR_RECIPES' default."""
    if base_card.get("family", "gan") != "gan":
        return {}
    if base_card.get("discriminator") == "projected" and not (base_card.get("projected_pixel") and _wants_standard_d(config)):
        return {"discriminator": "projected", "r1_gamma": 0.0, "projected_pixel": bool(base_card.get("projected_pixel")),
                **({"projected_resolution": base_card["projected_resolution"]}
                   if base_card.get("projected_resolution") else {})}
    return dict(DISCRIMINATOR_RECIPES["standard" if _wants_standard_d(config) else "projected"])


def recipe_for(config: TrainConfig, num_train: int, base_card: dict | None) -> dict:
    """The preset's options for `config` on a dataset of `num_train` training images and a base (None:
    from scratch, in the config's family)."""
    if base_card is None:
        return dict(FROM_SCRATCH_RECIPES[config.family])
    for bound, recipe in FINE_TUNE_RECIPES:
        if bound is None or num_train <= bound:
            resolved = {**recipe, **_discriminator_recipe(config, base_card)}
            if not _has_pixel_branch(config, resolved):  # the weight needs the pixel branch it weighs
                resolved.pop("projected_pixel_weight", None)
            return resolved
    raise AssertionError("the last recipe row has no bound")


def _has_pixel_branch(config: TrainConfig, recipe: dict) -> bool:
    """Whether the run, with the user's choices over the recipe's, has a projected D with a pixel branch."""
    chosen = {**recipe, **config.model_dump(include=config.model_fields_set)}
    return chosen.get("discriminator") == "projected" and bool(chosen.get("projected_pixel"))


def apply_preset(config: TrainConfig, num_train: int, base_card: dict | None) -> TrainConfig:
    """The config with every option the user left unset taken from the preset (a no-op for preset "none")."""
    if config.preset != "auto":
        return config
    recipe = recipe_for(config, num_train, base_card)
    chosen = {k: v for k, v in recipe.items() if k not in config.model_fields_set}
    # Validates the combination; the fields the user set and the preset chose count as set (preflight
    # tells a user's explicit choice from a default by that).
    return TrainConfig.model_validate({**config.model_dump(exclude_unset=True), **chosen})
