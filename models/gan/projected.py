"""Deep transfer: a Projected GAN discriminator (Sauer et al. 2021) on frozen EfficientNet-Lite0 features.

As in the paper and its code (pg_modules/projector.py, discriminator.py):
- a frozen ImageNet EfficientNet-Lite0 reads the image, upsampled to `feature_resolution` (the paper
  feeds 224; 128 costs a third of that on a CPU), and gives four feature maps at strides 4, 8, 16, 32;
- cross-channel mixing (CCM: a random 1x1 conv per map) and cross-scale mixing (CSM: top-down
  upsample-add-1x1, as in a feature pyramid), both random and frozen, spread the pretrained
  features across channels and scales so that D cannot latch on to a few of them;
- one small discriminator per scale (spectrally normalised strided convs with BatchNorm down to 8x8
  or less, then a patch of logits; real and fake batches go through D separately, so BN normalises each); all patches of all scales form the output, trained with the hinge loss.

Our addition, `pixel_discriminator` (config `projected_pixel`): a pixel-space discriminator (on a fine-tune,
the base's own pretrained D) reads the same image and its logit joins the patches with equal weight
(repeated once per patch, so the hinge loss's mean is half features, half pixels; `projected_pixel_weight`
moves that share in the loss, `logit_weights`). The frozen ImageNet
features at 64x64 judge content well but miss what our targets are made of, thick outlines and flat
colours: alone, the projected D wins on KID while its samples fade to white (SWD twice the standard D's,
bench/transfer_curve.py); the pixel branch judges exactly those.

The pretrained network is not part of the saved model: `FrozenFeatures` loads it by name from the
shipped weights (models/metrics/weights/) when it is built, and its variables are not the layer's
weights, so a saved discriminator holds only what trains, checkpoints stay small, and no optimiser or
EMA ever touches the pretrained weights. KID on EffLite0 is flattered when D reads EffLite0: report
KID on a second network (EffLite2) too.
"""
from __future__ import annotations

import functools
from pathlib import Path

import keras
import numpy as np
from keras import layers

from models.gan.layers import SNConv2D
from models.loading import load_network

FEATURE_NETWORK = "efficientnet_lite0_features.keras"
FEATURE_LAYERS = ("block2_add", "block4_add", "block10_add", "block15_project_bn")  # strides 4, 8, 16, 32
CCM_CHANNELS = (64, 128, 256, 512)  # the paper's "expand" widths


def d_channels(size: int) -> int:
    """Channels of a scale discriminator's layer at `size`: the paper's halved (256 at <= 8, 32 at 64), for CPU."""
    return min(256, max(32, 2048 // size))
DEFAULT_FEATURE_RESOLUTION = 128
PIXEL_REPEAT = "pixel_repeat"  # the layer that repeats the pixel branch's logit once per patch
GRAPH_PIXEL_SHARE = 0.5  # the pixel branch's share of the plain mean over D's logits (one copy per patch)


def weights_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "metrics" / "weights"


@functools.lru_cache(maxsize=4)
def _truncated_network(name: str, layer_names: tuple[str, ...], size: int) -> keras.Model:
    """Built once per process and shared: frozen, in inference mode, and not part of any saved model."""
    source = load_network(weights_dir() / name)

    def clone_layer(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Resizing):
            config["height"] = config["width"] = size  # the network's own (antialiased) resize, to our size
        config["dtype"] = "float32"  # depthwise convs gain nothing from bfloat16 on oneDNN; float32 is faster
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(source, clone_function=clone_layer)
    clone.set_weights(source.get_weights())
    network = keras.Model(clone.inputs, [clone.get_layer(n).output for n in layer_names], name="pretrained")
    network.trainable = False  # and BatchNorm stays in inference mode
    return network


@keras.saving.register_keras_serializable(package="transfergen")
class FrozenFeatures(keras.layers.Layer):
    """Pretrained feature maps of an image in [-1, 1], computed by a frozen shipped network.

    `network` is a file name inside models/metrics/weights (never a path: saved models come from
    users). The network is reached through a method, not an attribute: Keras tracks and saves every
    layer held in an attribute, and this one must add no weights to the layer, its files or checkpoints.
    """

    def __init__(self, network: str = FEATURE_NETWORK, layer_names=FEATURE_LAYERS,
                 input_size: int = DEFAULT_FEATURE_RESOLUTION, **kwargs):
        super().__init__(**kwargs)
        if Path(network).name != network:
            raise ValueError(f"feature network must be a file name in {weights_dir()}, got {network!r}")
        self.network_name = network
        self.layer_names = tuple(layer_names)
        self.input_size = int(input_size)
        self.pretrained()  # load now: a missing weights file fails when D is built, not mid-training

    def pretrained(self) -> keras.Model:
        return _truncated_network(self.network_name, self.layer_names, self.input_size)

    def call(self, images):
        pixels = (keras.ops.cast(images, "float32") + 1.0) * 127.5  # the network wants RGB in [0, 255]
        return self.pretrained()(pixels, training=False)

    def compute_output_shape(self, input_shape):
        return [tuple(o.shape) for o in self.pretrained().outputs]

    def get_config(self):
        return {**super().get_config(), "network": self.network_name, "layer_names": list(self.layer_names),
                "input_size": self.input_size}


def _random_frozen_conv(channels, kernel, name, seed):
    """CCM/CSM: random projections, fixed for the life of the model (saved, never trained)."""
    conv = layers.Conv2D(channels, kernel, padding="same", name=name,
                         kernel_initializer=keras.initializers.HeUniform(seed=seed))
    conv.trainable = False
    return conv


def _mixed_features(feature_maps, seed):
    """CCM then CSM: four maps, each at twice its feature map's resolution (upsampling as the paper's CSM)."""
    mixed = [_random_frozen_conv(c, 1, f"ccm{i}", seed + i)(f)
             for i, (f, c) in enumerate(zip(feature_maps, CCM_CHANNELS))]
    outputs, carry = [None] * 4, None
    for i in reversed(range(4)):
        x = mixed[i] if carry is None else layers.Add(name=f"csm{i}_add")([mixed[i], carry])
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"csm{i}_up")(x)
        out_channels = CCM_CHANNELS[i] // 2 if i > 0 else CCM_CHANNELS[0]
        carry = outputs[i] = _random_frozen_conv(out_channels, 1, f"csm{i}_out", seed + 10 + i)(x)
    return outputs


def _scale_discriminator(x, index):
    """Strided SN convs down to 8x8 (or the map's own size when smaller), then a 3x3 patch of logits."""
    size = x.shape[1]
    block = 0
    while size > 8:
        size //= 2
        x = SNConv2D(d_channels(size), 4, strides=2, padding="same", use_bias=False, name=f"d{index}_down{block}")(x)
        x = layers.BatchNormalization(name=f"d{index}_norm{block}")(x)  # the paper's DownBlock: SN conv, BN, LReLU
        x = layers.LeakyReLU(0.2, name=f"d{index}_act{block}")(x)
        block += 1
    x = SNConv2D(1, 3, padding="same", name=f"d{index}_logit")(x)
    return layers.Flatten(name=f"d{index}_flatten")(x)


def build_projected_discriminator(resolution: int, feature_resolution: int | None = None, seed: int = 0,
                                  pixel_discriminator: keras.Model | None = None) -> keras.Model:
    """Image in [-1, 1] -> (batch, patches) logits of four scale discriminators, for the hinge loss;
    with `pixel_discriminator` (image -> one logit), as many copies of its logit again."""
    image = keras.Input((resolution, resolution, 3), name="image")
    features = FrozenFeatures(input_size=feature_resolution or max(resolution, DEFAULT_FEATURE_RESOLUTION),
                              name="frozen_features")(image)
    mixed = _mixed_features(features, seed)
    scales = [_scale_discriminator(x, i) for i, x in enumerate(mixed)]
    if pixel_discriminator is None:
        return keras.Model(image, layers.Concatenate(name="logit")(scales), name="projected_discriminator")
    patches = layers.Concatenate(name="patch_logit")(scales)
    pixel = _pixel_branch(pixel_discriminator, image)
    repeated = layers.Flatten(name=f"{PIXEL_REPEAT}_flatten")(layers.RepeatVector(patches.shape[-1], name=PIXEL_REPEAT)(pixel))
    return keras.Model(image, layers.Concatenate(name="logit")([patches, repeated]), name="projected_discriminator")


def _pixel_branch(discriminator: keras.Model, image):
    """The pixel discriminator's own layers (and weights) applied to `image` in this graph.

    Its layers are re-wired rather than nested as a sub-model so that every layer stays a top-level
    layer of D: precision cloning, FreezeD-style name lookups and saving treat them like any other.
    The standard discriminators are chains (one input per layer), which is what this supports.
    """
    x = image
    for layer in discriminator.layers[1:]:
        if isinstance(layer, keras.Model):
            raise ValueError(f"pixel discriminator layer {layer.name!r} is a nested model, not a chain of layers")
        x = layer(x)
    return x


def pixel_discriminator_of(discriminator: keras.Model) -> keras.Model:
    """The pixel branch of a projected D as a standalone standard D: a copy of its layers (same names, so
    FreezeD's block lookups work) and weights. A base trained with projected_pixel carries a pretrained
    standard D this way, for fine-tunes that ask for the standard D."""
    if not has_pixel_branch(discriminator):
        raise ValueError("this projected discriminator has no pixel branch")
    branch = keras.Model(discriminator.input, discriminator.get_layer(PIXEL_REPEAT).input, name="discriminator")
    standalone = keras.models.clone_model(branch)
    standalone.set_weights(branch.get_weights())
    return standalone


def logit_weights(discriminator: keras.Model, pixel_weight: float) -> np.ndarray | None:
    """Per-logit weights (mean 1) that give the pixel branch `pixel_weight` of a projected D's loss and the
    patches the rest; None (the plain mean) when D has no pixel branch or the weight is the graph's own 0.5.

    The share is set in the loss, not by repeating the logit more often, so one saved D serves any weight."""
    if not 0.0 < pixel_weight < 1.0:
        raise ValueError(f"pixel_weight must be in (0, 1), got {pixel_weight}")
    if not has_pixel_branch(discriminator) or pixel_weight == GRAPH_PIXEL_SHARE:
        return None
    patches = discriminator.get_layer(PIXEL_REPEAT).output.shape[1]  # the pixel logit is repeated once per patch
    return np.concatenate([np.full(patches, 2.0 * (1.0 - pixel_weight)), np.full(patches, 2.0 * pixel_weight)]).astype("float32")


def has_pixel_branch(discriminator: keras.Model) -> bool:
    return any(layer.name == PIXEL_REPEAT for layer in discriminator.layers)


def is_projected(discriminator: keras.Model) -> bool:
    return any(isinstance(layer, FrozenFeatures) for layer in discriminator.layers)


def feature_network_label(discriminator: keras.Model) -> str | None:
    """"EffLite0" when D reads EfficientNet-Lite0 features (KID on that network is then flattered)."""
    for layer in discriminator.layers:
        if isinstance(layer, FrozenFeatures):
            return "EffLite0" if layer.network_name.startswith("efficientnet_lite0") else layer.network_name
    return None


def patch_count(discriminator: keras.Model) -> int:
    return int(np.prod(discriminator.output.shape[1:]))
