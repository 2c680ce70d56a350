"""CDC (cross-domain correspondence) on known inputs: 0 for equal generators, positive and trainable otherwise."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from models.gan.cdc import cdc_loss, feature_layer_names, feature_model
from models.gan.model import GAN
from models.gan.networks import build_discriminator, build_generator


def _copy(model):
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _latents(n=6, dim=8, seed=0):
    return tf.constant(np.random.default_rng(seed).standard_normal((n, dim)), tf.float32)


def test_feature_layers_are_the_generators_feature_convolutions():
    assert feature_layer_names(build_generator("lite", 16, 8, 16)) == ["conv8", "conv16", "conv_out"]
    fast = feature_layer_names(build_generator("fast", 32, 8, 16))
    assert "to_rgb" not in fast and not any(n.startswith("sle") for n in fast) and "conv32b" in fast


def test_cdc_is_zero_when_the_two_generators_are_equal():
    generator = build_generator("lite", 16, 8, 16)
    names = feature_layer_names(generator)
    z = _latents()
    source = feature_model(_copy(generator), names)(z)[1:]
    target = feature_model(generator, names)(z)[1:]
    assert float(cdc_loss(source, target)) == pytest.approx(0.0, abs=1e-6)


def test_cdc_on_known_similarities():
    # two samples (one "other" each): each row's softmax is over a single value -> always 1 -> KL 0
    a = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    assert float(cdc_loss([a], [tf.constant([[1.0, 0.0], [1.0, 0.0]])])) == pytest.approx(0.0, abs=1e-7)
    # three samples: source 0,1 alike and 2 apart; target all alike -> uniform rows; KL by hand
    source = tf.constant([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    target = tf.constant([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    p = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()  # rows 0 and 1: sims (1, 0) -> softmax; row 2: (0, 0)
    expected = (2 * np.sum(p * np.log(p / 0.5)) + 0.0) / 3
    assert float(cdc_loss([source], [target])) == pytest.approx(expected, rel=1e-5)


def test_cdc_is_positive_when_the_generators_differ_and_trains_only_the_target():
    generator = build_generator("lite", 16, 8, 16)
    source_generator = _copy(generator)
    keras.utils.set_random_seed(3)
    other = build_generator("lite", 16, 8, 16)
    names = feature_layer_names(generator)
    target_model, source_model = feature_model(other, names), feature_model(source_generator, names)
    z = _latents(8)
    with tf.GradientTape() as tape:
        loss = cdc_loss(source_model(z)[1:], target_model(z)[1:])
    assert float(loss) > 1e-4
    gradients = tape.gradient(loss, other.trainable_weights)
    assert any(float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients if g is not None)


def test_gan_step_with_cdc_reports_it_and_leaves_the_source_unchanged():
    generator = build_generator("lite", 16, 8, 16)
    source = _copy(generator)
    before = [w.copy() for w in source.get_weights()]
    gan = GAN(generator, build_discriminator("lite", 16, 16), _copy(generator), source_generator=source, cdc_weight=10.0)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    logs = gan.train_on_batch(np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32"), return_dict=True)
    assert "cdc" in logs and logs["cdc"] == pytest.approx(0.0, abs=1e-6)  # G equals the source before its first update
    logs = gan.train_on_batch(np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 3)).astype("float32"), return_dict=True)
    assert logs["cdc"] > 0
    assert all(np.array_equal(b, a) for b, a in zip(before, source.get_weights()))


def test_cdc_needs_a_source_generator():
    generator = build_generator("lite", 16, 8, 16)
    with pytest.raises(ValueError, match="source generator"):
        GAN(generator, build_discriminator("lite", 16, 16), _copy(generator), cdc_weight=1.0)
