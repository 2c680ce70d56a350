"""Deep transfer: the projected discriminator's pretrained features stay frozen while its heads learn."""
import numpy as np
import pytest

from models import storage
from models.config import TrainConfig
from models.gan.projected import build_projected_discriminator, is_projected, patch_count
from models.setup import build_training_model
from models.training import train
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

pytestmark = pytest.mark.slow  # builds and trains the projected discriminator's feature network


def _frozen_and_heads(discriminator):
    """The pretrained network's and the random CCM/CSM projections' weights, and the scale discriminators'."""
    pretrained = discriminator.get_layer("frozen_features").pretrained().get_weights()
    projections = [w for layer in discriminator.layers if layer.name.startswith(("ccm", "csm"))
                   for w in layer.get_weights()]
    heads = [w for layer in discriminator.layers if layer.name.startswith("d") and layer.trainable_weights
             for w in layer.get_weights()]
    return [w.copy() for w in pretrained + projections], [w.copy() for w in heads]


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


def test_features_come_at_four_strides_of_the_feature_resolution():
    discriminator = build_projected_discriminator(32, feature_resolution=64)
    features = discriminator.get_layer("frozen_features")(np.zeros((1, 32, 32, 3), "float32"))
    assert [tuple(f.shape[1:3]) for f in features] == [(16, 16), (8, 8), (4, 4), (2, 2)]


def test_each_scale_gives_a_patch_of_logits_down_to_8x8():
    # CSM upsamples each map x2: 32, 16, 8, 4 -> scale discriminators stop at 8, 8, 8, 4.
    discriminator = build_projected_discriminator(32, feature_resolution=64)
    assert patch_count(discriminator) == 8 * 8 * 3 + 4 * 4
    assert discriminator(np.zeros((2, 32, 32, 3), "float32")).shape == (2, patch_count(discriminator))


def test_the_saved_discriminator_holds_only_what_it_owns(tmp_path):
    """The pretrained network is loaded by name, not saved: the file stays small and reloads equal."""
    discriminator = build_projected_discriminator(32, feature_resolution=64)
    discriminator.save(tmp_path / "d.keras")
    from models.loading import load_network

    again = load_network(tmp_path / "d.keras")
    images = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(again(images, training=False), discriminator(images, training=False), atol=1e-5)
    assert (tmp_path / "d.keras").stat().st_size < 8 * 1024 * 1024


def test_an_explicit_r1_with_projected_is_rejected_and_unset_means_off():
    assert TrainConfig(dataset_id="d", discriminator="projected").r1_gamma == 0
    with pytest.raises(ValueError, match="r1_gamma"):
        TrainConfig(dataset_id="d", discriminator="projected", r1_gamma=1.0)


def test_the_pixel_branch_is_the_pixel_discriminator_weighted_like_all_patches():
    from models.gan.networks import build_discriminator
    from models.gan.projected import has_pixel_branch

    pixel = build_discriminator("lite", 32, 16)
    images = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 3)).astype("float32")
    alone = np.asarray(pixel(images))
    discriminator = build_projected_discriminator(32, feature_resolution=64, pixel_discriminator=pixel)
    logits = np.asarray(discriminator(images))
    patches = 8 * 8 * 3 + 4 * 4
    assert has_pixel_branch(discriminator) and logits.shape == (3, 2 * patches)
    np.testing.assert_allclose(logits[:, patches:], np.repeat(alone, patches, axis=1), atol=1e-5)
    # its weights are the pixel D's own (shared, not copied): a fine-tune starts from the pretrained D
    owned = {id(w) for w in discriminator.trainable_weights}
    assert all(id(w) in owned for w in pixel.trainable_weights)
    assert not has_pixel_branch(build_projected_discriminator(32, feature_resolution=64))


def test_a_fine_tune_with_projected_pixel_starts_from_the_base_d_and_saves_it(data_dir, tiny_base_model, tmp_path):
    from models import storage as store
    from models.gan.projected import has_pixel_branch
    from models.loading import load_network

    dataset_id = write_dataset(data_dir, num_train=6, seed=7)
    config = tiny_config(dataset_id, base_model_id=tiny_base_model, discriminator="projected",
                         projected_resolution=64, projected_pixel=True, steps=2)
    model, _ = build_training_model(config, data_dir, 16)
    base_d = load_network(store.models_root(data_dir) / tiny_base_model / store.DISCRIMINATOR_FILE)
    pixel_layers = [layer.name for layer in base_d.layers[1:]]
    for name in pixel_layers:
        for a, b in zip(base_d.get_layer(name).get_weights(), model.discriminator.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    card = train(config, data_dir=data_dir, run_dir=tmp_path / "run", model_id="run")
    assert card["projected_pixel"] is True
    assert has_pixel_branch(load_network(tmp_path / "run" / store.DISCRIMINATOR_FILE))


def test_projected_pixel_needs_the_projected_discriminator():
    with pytest.raises(ValueError, match="projected_pixel"):
        TrainConfig(dataset_id="d", projected_pixel=True)


def test_from_scratch_projected_pixel_gets_a_fresh_standard_d_as_its_pixel_branch(data_dir):
    from models.gan.projected import has_pixel_branch

    dataset_id = write_dataset(data_dir, num_train=6, seed=8)
    with_pixel, _ = build_training_model(tiny_config(dataset_id, discriminator="projected", projected_resolution=64,
                                                     projected_pixel=True), data_dir, 16)
    without, _ = build_training_model(tiny_config(dataset_id, discriminator="projected", projected_resolution=64),
                                      data_dir, 16)
    assert has_pixel_branch(with_pixel.discriminator) and not has_pixel_branch(without.discriminator)
    assert with_pixel.discriminator.get_layer("b2_logit") is not None  # the lite D's head, 16x16: blocks 0-2


def test_the_pixel_branch_comes_back_out_as_a_standalone_standard_d():
    from models.gan.networks import build_discriminator
    from models.gan.projected import pixel_discriminator_of

    pixel = build_discriminator("lite", 32, 16)
    images = np.random.default_rng(3).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    discriminator = build_projected_discriminator(32, feature_resolution=64, pixel_discriminator=pixel)
    standalone = pixel_discriminator_of(discriminator)
    np.testing.assert_allclose(np.asarray(standalone(images)), np.asarray(pixel(images)), atol=1e-5)
    assert [layer.name for layer in standalone.layers[1:]] == [layer.name for layer in pixel.layers[1:]]
    assert not {id(w) for w in standalone.weights} & {id(w) for w in discriminator.weights}  # a copy
    with pytest.raises(ValueError, match="no pixel branch"):
        pixel_discriminator_of(build_projected_discriminator(32, feature_resolution=64))


def test_a_standard_fine_tune_of_a_projected_pixel_base_starts_from_its_pixel_branch(data_dir, tiny_base_model, tmp_path):
    from models.gan.projected import has_pixel_branch
    from models.loading import load_network

    dataset_id = write_dataset(data_dir, num_train=6, seed=9)
    projected = tiny_config(dataset_id, base_model_id=tiny_base_model, discriminator="projected",
                            projected_resolution=64, projected_pixel=True, steps=2)
    train(projected, data_dir=data_dir, run_dir=storage.models_root(data_dir) / "pixel-base", model_id="pixel-base")
    base_d = load_network(storage.models_root(data_dir) / "pixel-base" / storage.DISCRIMINATOR_FILE)
    assert has_pixel_branch(base_d)
    standard = tiny_config(dataset_id, base_model_id="pixel-base", discriminator="standard", steps=2)
    model, _ = build_training_model(standard, data_dir, 16)
    assert not is_projected(model.discriminator)
    for layer in model.discriminator.layers[1:]:
        for a, b in zip(base_d.get_layer(layer.name).get_weights(), layer.get_weights()):
            np.testing.assert_array_equal(a, b)
    card = train(standard, data_dir=data_dir, run_dir=tmp_path / "run", model_id="run")
    assert card["discriminator"] == "standard"


def test_the_pixel_weight_sets_the_pixel_branch_share_of_the_hinge_loss():
    from models.gan.model import GAN
    from models.gan.networks import build_discriminator, build_generator
    from models.gan.projected import logit_weights

    discriminator = build_projected_discriminator(32, feature_resolution=64,
                                                  pixel_discriminator=build_discriminator("lite", 32, 16))
    patches = 8 * 8 * 3 + 4 * 4
    # every patch says 2, the pixel branch says -1 (repeated once per patch, as D outputs it)
    logits = np.concatenate([np.full((2, patches), 2.0), np.full((2, patches), -1.0)], axis=1).astype("float32")
    for weight, expected in [(0.5, -(0.5 * 2 - 0.5)), (0.8, -(0.2 * 2 - 0.8)), (0.2, -(0.8 * 2 - 0.2))]:
        gan = GAN(build_generator("lite", 32, 8, 16), discriminator, build_generator("lite", 32, 8, 16),
                  loss="hinge", pixel_weight=weight)
        assert float(gan.generator_loss(logits)) == pytest.approx(expected, rel=1e-5)
        # D: reals relu(1 - 2) = 0 on patches, relu(1 + 1) = 2 on the pixel logit -> 2 * weight
        assert float(gan.discriminator_loss(logits, -logits)) == pytest.approx(2 * weight * 2, rel=1e-5)
    assert logit_weights(discriminator, 0.5) is None  # the plain mean
    assert logit_weights(discriminator, 0.8).mean() == pytest.approx(1.0)
    assert logit_weights(build_projected_discriminator(32, feature_resolution=64), 0.8) is None  # no pixel branch
    with pytest.raises(ValueError, match="pixel_weight"):
        logit_weights(discriminator, 1.0)
