"""preset "auto": options a request leaves unset follow the recipe for its dataset size and base model."""
import pytest

from models import presets
from models.config import TrainConfig

STANDARD_BASE = {"family": "gan", "discriminator": "standard", "resolution": 16}
PROJECTED_BASE = {"family": "gan", "discriminator": "projected", "projected_resolution": 64, "resolution": 16}


def _bound_rows():
    return [(bound, recipe) for bound, recipe in presets.FINE_TUNE_RECIPES if bound is not None]


def test_each_dataset_size_gets_its_row():
    for bound, recipe in _bound_rows():
        resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), bound, STANDARD_BASE)
        assert {k: getattr(resolved, k) for k in recipe} == recipe
    last_bound, last = None, presets.FINE_TUNE_RECIPES[-1][1]
    big = max(bound for bound, _ in _bound_rows()) + 1
    resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), big, STANDARD_BASE)
    assert {k: getattr(resolved, k) for k in last} == last


def test_what_the_user_sets_is_never_changed():
    request = TrainConfig(dataset_id="d", base_model_id="b", steps=7, learning_rate=0.003, augment="none")
    resolved = presets.apply_preset(request, 100, STANDARD_BASE)
    assert (resolved.steps, resolved.learning_rate, resolved.augment) == (7, 0.003, "none")


def test_a_fine_tune_of_a_standard_base_gets_the_projected_d_with_the_base_d_as_pixel_branch():
    resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 100, STANDARD_BASE)
    assert (resolved.discriminator, resolved.projected_pixel, resolved.projected_resolution, resolved.r1_gamma) == \
        ("projected", True, 64, 0.0)


def test_a_base_with_a_projected_d_keeps_it_as_it_is():
    resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 100,
                                    {**PROJECTED_BASE, "projected_resolution": 128})
    assert (resolved.discriminator, resolved.r1_gamma, resolved.projected_resolution, resolved.projected_pixel) == \
        ("projected", 0.0, 128, False)


@pytest.mark.parametrize("choice", [dict(discriminator="standard"), dict(r1_gamma=1.0), dict(method="freeze_d")])
def test_asking_for_the_standard_d_or_what_only_it_takes_gets_the_standard_recipe(choice):
    resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b", **choice), 100, STANDARD_BASE)
    assert resolved.discriminator == "standard" and not resolved.projected_pixel
    assert resolved.steps == presets.DISCRIMINATOR_RECIPES["standard"]["steps"]
    assert resolved.r1_gamma == choice.get("r1_gamma", 0.1)


def test_from_scratch_gets_the_recipe_the_shipped_base_was_trained_with():
    import json
    from pathlib import Path

    shipped = json.loads((Path(presets.__file__).parent / "pretrained" / "emoji64-gan" / "config.json").read_text())
    gan = presets.apply_preset(TrainConfig(dataset_id="d"), 100, None)
    recipe = ("architecture", "base_channels", "latent_dim", "augment")
    assert {k: getattr(gan, k) for k in recipe} == {k: shipped[k] for k in recipe}
    # stages 1-5 trained at 2e-4; the shipped config is stage 6's, a cool-down at half that rate
    assert (gan.learning_rate, shipped["learning_rate"]) == (2e-4, 1e-4)
    # stages 1-2 of the shipped base (from scratch): the standard D with R1; stage 3 added the projected D
    assert (gan.discriminator, gan.r1_gamma) == ("standard", 0.1)
    vae = TrainConfig(dataset_id="d", family="vae")
    assert presets.apply_preset(vae, 100, None) == vae


def test_preset_none_and_resolving_twice_change_nothing():
    plain = TrainConfig(dataset_id="d", base_model_id="b", preset="none")
    assert presets.apply_preset(plain, 5, STANDARD_BASE) == plain
    once = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 5, STANDARD_BASE)
    assert presets.apply_preset(once, 500, STANDARD_BASE) == once  # chosen options count as set


def test_the_resolved_config_reloads_as_the_same_run():
    resolved = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 50, PROJECTED_BASE)
    reloaded = TrainConfig.model_validate(resolved.model_dump(mode="json"))
    assert presets.apply_preset(reloaded, 50, STANDARD_BASE) == resolved


def test_an_invalid_combination_is_still_refused():
    with pytest.raises(ValueError):
        presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b", method="freeze_d"), 100, PROJECTED_BASE)


def _projected_base_and_dataset(data_dir, pixel: bool = False) -> str:
    """A stand-in base with a projected D (with a pixel branch when `pixel`) named "projected-base"; returns a
    16x16 dataset's id."""
    from models import storage
    from tests.utils.datasets import write_dataset

    folder = storage.models_root(data_dir) / "projected-base"
    folder.mkdir(parents=True)
    storage.write_json_atomic(folder / storage.MODEL_CARD,
                              {**PROJECTED_BASE, "id": "projected-base", "projected_pixel": pixel})
    (folder / storage.DISCRIMINATOR_FILE).write_bytes(b"")
    return write_dataset(data_dir, resolution=16)


def _refusal(request, data_dir):
    from models import preflight
    from models.preflight import PreflightError

    with pytest.raises(PreflightError) as refused:
        preflight.preflight(request, data_dir)
    return refused.value


def test_preflight_turns_a_conflict_with_the_recipe_into_a_clear_refusal(data_dir):
    dataset_id = _projected_base_and_dataset(data_dir)
    refused = _refusal(TrainConfig(dataset_id=dataset_id, base_model_id="projected-base", method="freeze_d"), data_dir)
    assert refused.code == "not_applicable" and "projected" in refused.message


def test_preflight_refuses_to_add_or_drop_the_pixel_branch_of_a_projected_base(data_dir):
    from models import preflight

    dataset_id = _projected_base_and_dataset(data_dir)
    request = TrainConfig(dataset_id=dataset_id, base_model_id="projected-base", projected_pixel=True,
                          discriminator="projected")
    refused = _refusal(request, data_dir)
    assert refused.code == "not_applicable" and "pixel branch" in refused.message
    unset = preflight.preflight(TrainConfig(dataset_id=dataset_id, base_model_id="projected-base"), data_dir)
    assert (unset.discriminator, unset.projected_pixel) == ("projected", False)


def test_a_projected_base_with_a_pixel_branch_gives_that_branch_to_who_asks_for_the_standard_d(data_dir):
    from models import preflight

    card = {**PROJECTED_BASE, "projected_pixel": True}
    kept = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 100, card)
    assert (kept.discriminator, kept.projected_pixel) == ("projected", True)
    standard = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b", discriminator="standard"), 100, card)
    assert (standard.discriminator, standard.r1_gamma, standard.steps) == ("standard", 0.1, 1500)

    dataset_id = _projected_base_and_dataset(data_dir, pixel=True)
    checked = preflight.preflight(TrainConfig(dataset_id=dataset_id, base_model_id="projected-base",
                                              discriminator="standard"), data_dir)
    assert checked.discriminator == "standard" and not checked.projected_pixel


def test_without_a_pixel_branch_the_standard_d_on_a_projected_base_is_refused(data_dir):
    dataset_id = _projected_base_and_dataset(data_dir)
    refused = _refusal(TrainConfig(dataset_id=dataset_id, base_model_id="projected-base", discriminator="standard",
                                   preset="none"), data_dir)
    assert refused.code == "not_applicable" and "without a pixel branch" in refused.message



def test_the_pixel_weight_goes_with_a_pixel_branch_only(data_dir):
    from models import preflight

    with pytest.raises(ValueError, match="projected_pixel_weight"):
        TrainConfig(dataset_id="d", discriminator="standard", projected_pixel_weight=0.8)
    with pytest.raises(ValueError, match="projected_pixel_weight"):
        TrainConfig(dataset_id="d", discriminator="projected", projected_pixel=False, projected_pixel_weight=0.8)
    # left to the preset: a base whose projected D has a pixel branch takes it ...
    dataset_id = _projected_base_and_dataset(data_dir, pixel=True)
    checked = preflight.preflight(TrainConfig(dataset_id=dataset_id, base_model_id="projected-base",
                                              projected_pixel_weight=0.8), data_dir)
    assert checked.projected_pixel and checked.projected_pixel_weight == 0.8
    # ... one without is refused with a clear reason, not trained with the weight ignored
    other = _projected_base_and_dataset(data_dir.parent / "other", pixel=False)
    refused = _refusal(TrainConfig(dataset_id=other, base_model_id="projected-base", projected_pixel_weight=0.8),
                       data_dir.parent / "other")
    assert refused.code == "not_applicable" and "projected_pixel_weight" in refused.message


def test_few_shot_weighs_the_pixel_branch_less_only_where_there_is_one():
    few = presets.FINE_TUNE_RECIPES[0][0]
    on_standard = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), few, STANDARD_BASE)
    assert (on_standard.projected_pixel, on_standard.projected_pixel_weight) == (True, 0.2)
    pixel_base = {**PROJECTED_BASE, "projected_pixel": True}
    assert presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), few, pixel_base).projected_pixel_weight == 0.2
    # no pixel branch to weigh: the weight stays at its default instead of making the config invalid
    no_pixel = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), few, PROJECTED_BASE)
    assert (no_pixel.projected_pixel, no_pixel.projected_pixel_weight) == (False, 0.5)
    standard = presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b", discriminator="standard"), few,
                                    pixel_base)
    assert standard.discriminator == "standard" and standard.projected_pixel_weight == 0.5
    # more images: the equal share
    assert presets.apply_preset(TrainConfig(dataset_id="d", base_model_id="b"), 100, pixel_base).projected_pixel_weight == 0.5
