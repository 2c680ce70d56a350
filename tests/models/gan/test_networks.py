"""Generator and discriminator shapes, and FastGAN's skip-layer excitation on known inputs."""
import keras
import numpy as np
import pytest

from models.gan.networks import (build_discriminator, build_generator, fast_channels_at,
                                 skip_layer_excitation)


def _sle_model(low_shape, high_shape):
    low, high = keras.Input(low_shape), keras.Input(high_shape)
    return keras.Model([low, high], skip_layer_excitation(low, high, "sle"))


def test_sle_keeps_the_high_resolution_shape():
    model = _sle_model((8, 8, 32), (32, 32, 16))
    out = model([np.ones((2, 8, 8, 32), "float32"), np.ones((2, 32, 32, 16), "float32")])
    assert tuple(out.shape) == (2, 32, 32, 16)


def test_sle_gates_each_channel_by_a_value_in_0_1_from_the_low_map():
    model = _sle_model((8, 8, 4), (32, 32, 3))
    for layer in model.layers:  # zero weights: every gate is sigmoid(0) = 0.5
        if layer.weights:
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    high = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype("float32")
    out = np.asarray(model([np.ones((1, 8, 8, 4), "float32"), high]))
    np.testing.assert_allclose(out, 0.5 * high, rtol=1e-6)


def test_sle_gates_are_constant_over_space_and_differ_per_channel():
    model = _sle_model((8, 8, 4), (32, 32, 3))
    low = np.random.default_rng(1).normal(size=(1, 8, 8, 4)).astype("float32")
    out = np.asarray(model([low, np.ones((1, 32, 32, 3), "float32")]))
    gates = out[0, 0, 0]
    np.testing.assert_allclose(out[0], np.broadcast_to(gates, out[0].shape), rtol=1e-6)
    assert np.all((gates > 0) & (gates < 1))
    assert len(set(np.round(gates, 6))) == 3


@pytest.mark.parametrize("architecture", ["lite", "fast", "dcgan"])
def test_generators_map_latents_to_images_in_tanh_range(architecture):
    generator = build_generator(architecture, 64, 16, 32)
    images = np.asarray(generator(np.random.default_rng(0).normal(size=(2, 16)).astype("float32")))
    assert images.shape == (2, 64, 64, 3)
    assert np.all(np.abs(images) <= 1.0)


def test_the_fast_generator_excites_32_from_8_and_64_from_16():
    generator = build_generator("fast", 64, 16, 32)
    names = {layer.name for layer in generator.layers}
    assert {"sle8to32_excite", "sle16to64_excite"} <= names


def test_fast_channels_halve_above_16_and_never_drop_below_16():
    assert [fast_channels_at(s, 128) for s in (4, 8, 16, 32, 64)] == [128, 128, 128, 64, 32]
    assert fast_channels_at(64, 32) == 16


@pytest.mark.parametrize("architecture", ["lite", "fast"])
def test_discriminators_give_one_logit_per_image(architecture):
    discriminator = build_discriminator(architecture, 32, 16)
    assert tuple(discriminator(np.zeros((3, 32, 32, 3), "float32")).shape)[0] == 3
