"""Mixed precision for training: bfloat16 compute with float32 weights, chosen per machine.

On CPUs with AMX (Intel Sapphire Rapids and later), oneDNN runs bfloat16 convolutions 4-5x faster
than float32 (measured on the 2-core development VM: 313 -> 1161 GFLOPS for 3x3 convs at 32 channels,
347 -> 1809 at 128), so "auto" trains in bfloat16 there and on GPUs, and in float32 elsewhere.

Only training computes in bfloat16. Variables stay float32 (Keras' mixed policy), the networks' first
and last layers keep float32 outputs so losses, augmentation and R1 run in float32, and every saved
or served network is float32: a model's images never depend on the precision it was trained in.
"""
from __future__ import annotations

import functools

import keras

FLOAT32 = "float32"
BFLOAT16 = "mixed_bfloat16"
# Layers whose outputs feed losses or pixels: computed in float32 even in a bfloat16 network.
FLOAT32_LAYER_PREFIXES = ("to_rgb", "z_norm", "frozen_features")
FLOAT32_LAYER_SUFFIXES = ("_logit", "logit")


@functools.lru_cache(maxsize=1)
def cpu_has_amx_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return any(line.startswith("flags") and " amx_bf16" in line for line in f)
    except OSError:
        return False


def resolve(precision: str) -> str:
    """The Keras dtype policy for a config's `precision` ("auto", "float32" or "bfloat16")."""
    if precision == "float32":
        return FLOAT32
    if precision == "bfloat16":
        return BFLOAT16
    import tensorflow as tf

    return BFLOAT16 if tf.config.list_physical_devices("GPU") or cpu_has_amx_bf16() else FLOAT32


def _keeps_float32(layer_name: str) -> bool:
    return layer_name.startswith(FLOAT32_LAYER_PREFIXES) or layer_name.endswith(FLOAT32_LAYER_SUFFIXES)


def with_policy(model: keras.Model, policy: str) -> keras.Model:
    """A copy of a functional network whose layers compute under `policy`, sharing no variables,
    with the same weights (float32 either way, in the same order)."""
    current = {layer.dtype_policy.name for layer in model.layers if hasattr(layer, "dtype_policy")}
    if current <= {policy} or (policy == BFLOAT16 and current <= {policy, FLOAT32} and _is_mixed(model)):
        return model

    def clone_layer(layer):
        config = layer.get_config()
        if policy == FLOAT32 or not _keeps_float32(layer.name):
            config["dtype"] = policy
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    return clone


def _is_mixed(model: keras.Model) -> bool:
    return any(getattr(layer, "dtype_policy", None) is not None and layer.dtype_policy.name == BFLOAT16
               for layer in model.layers)


def as_float32(model: keras.Model) -> keras.Model:
    """The float32 network to save and serve."""
    return with_policy(model, FLOAT32)
