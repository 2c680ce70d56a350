"""Mixed precision: bfloat16 compute only while training; saved and served networks are float32."""
import numpy as np

from models import precision
from models.gan.networks import build_generator


def test_explicit_choices_map_to_keras_policies():
    assert precision.resolve("float32") == "float32"
    assert precision.resolve("bfloat16") == "mixed_bfloat16"
    assert precision.resolve("auto") in ("float32", "mixed_bfloat16")


def _policies(model):
    return {layer.name: layer.dtype_policy.name for layer in model.layers if hasattr(layer, "dtype_policy")}


def test_bfloat16_copy_keeps_pixels_and_latents_in_float32_and_the_weights():
    generator = build_generator("lite", 16, 8, 16)
    mixed = precision.with_policy(generator, precision.BFLOAT16)
    policies = _policies(mixed)
    assert policies["to_rgb"] == "float32" and policies["z_norm"] == "float32"
    assert "mixed_bfloat16" in policies.values()
    assert all(w.dtype == "float32" for w in mixed.weights)
    for a, b in zip(generator.get_weights(), mixed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_as_float32_gives_back_the_same_network_and_images_close_to_bfloat16():
    generator = build_generator("lite", 16, 8, 16)
    mixed = precision.with_policy(generator, precision.BFLOAT16)
    restored = precision.as_float32(mixed)
    assert set(_policies(restored).values()) == {"float32"}
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(restored(z)), np.asarray(generator(z)), rtol=1e-6, atol=1e-6)
    assert np.asarray(mixed(z)).dtype == np.float32
    assert np.max(np.abs(np.asarray(mixed(z)) - np.asarray(generator(z)))) < 0.1  # bfloat16 rounding only


def test_a_float32_network_is_returned_unchanged():
    generator = build_generator("lite", 16, 8, 16)
    assert precision.as_float32(generator) is generator
