"""Loading saved networks: the one place that calls keras.saving.load_model.

`load_network` loads any saved network file (a run folder's generator, discriminator or encoder, a
feature network) with safe_mode, because model folders can come from users. `load_generator` turns a
model id into a ready SeededGenerator, which is what the API serves images with; training loads its
base model's networks and metrics load their feature network through `load_network`.
"""
from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

import numpy as np

from models import storage
from models.errors import ModelNotFoundError
from models.images import to_uint8
from models.latents import latent_for_seed, latents_for_seeds

# Every network call runs at exactly this batch size, padded with zero latents. On CPU, oneDNN picks
# its kernels by shape: measured on the emoji64 base (2 cores, AVX-512), rows computed at batch 1-4
# differ in float bits from the same rows at batch 8, 16 or 32 (and ~8% differ after rounding to
# uint8), while at one fixed size a row's output is the same at every position and whatever the other
# rows hold. So a seed's image is the same alone, batched, or in a grid; 16 keeps ~97% of batch-32
# throughput at half the cost for a lone request. Changing it can change images: it is part of the
# fingerprint (ETags).
INFERENCE_BATCH_SIZE = 16


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between two Gaussian latents (White 2016), exact at t = 0 and t = 1."""
    if t <= 0.0:
        return np.array(a, dtype=np.float32)
    if t >= 1.0:
        return np.array(b, dtype=np.float32)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cos = np.dot(a64, b64) / max(np.linalg.norm(a64) * np.linalg.norm(b64), 1e-12)
    omega = math.acos(float(np.clip(cos, -1.0, 1.0)))
    if math.sin(omega) < 1e-6:  # (anti)parallel: the arc is undefined, a straight line is the limit
        return ((1.0 - t) * a64 + t * b64).astype(np.float32)
    mixed = (math.sin((1.0 - t) * omega) * a64 + math.sin(t * omega) * b64) / math.sin(omega)
    return mixed.astype(np.float32)


class SeededGenerator:
    """A saved generator that maps latent seeds to uint8 images, always the same for the same seed.

    Truncation (psi in [0, 1]) pulls the latent towards the centre of the latent distribution at the
    point where the network first sees it: the raw z for a plain input, and pixel-normalised z for the
    "lite" generator, whose first layer would otherwise undo any scaling of z. Both distributions are
    symmetric about zero, so the centre is exactly 0 and truncation is `psi * w`; psi = 1 multiplies
    by 1.0, which is exact, so untruncated images are the same bits with or without the parameter.
    """

    def __init__(self, model_id: str, folder: Path, card: dict, network, fingerprint: str = ""):
        self.model_id = model_id
        self.folder = folder
        self.card = card
        self.family = card.get("family", "gan")
        self.resolution = int(card["resolution"])
        self.latent_dim = int(card["latent_dim"])
        self.network = network
        self.batch_size = INFERENCE_BATCH_SIZE
        self.fingerprint = fingerprint  # content hash of what defines the images (see load_generator)
        self._lock = threading.Lock()  # one network call at a time; also guards the lazy compile
        self._compiled = None

    def latent_for_seed(self, seed: int) -> np.ndarray:
        return latent_for_seed(seed, self.latent_dim)

    def interpolation_latents(self, from_seed: int, to_seed: int, steps: int) -> np.ndarray:
        """`steps` latents along the great circle from one seed's latent to the other's, both included."""
        start, end = self.latent_for_seed(from_seed), self.latent_for_seed(to_seed)
        times = [0.0] if steps == 1 else [i / (steps - 1) for i in range(steps)]
        return np.stack([slerp(start, end, t) for t in times])

    def generate_from_latents(self, latents: np.ndarray, truncation=1.0) -> np.ndarray:
        """uint8 images (n, H, W, 3) for latents (n, latent_dim); `truncation` is one psi or one per row."""
        latents = np.asarray(latents, dtype=np.float32).reshape(-1, self.latent_dim)
        count = len(latents)
        psi = np.broadcast_to(np.asarray(truncation, dtype=np.float32), (count,))
        padded = -(-count // self.batch_size) * self.batch_size
        z = np.zeros((padded, self.latent_dim), np.float32)
        z[:count] = latents
        p = np.ones((padded,), np.float32)
        p[:count] = psi
        outputs = []
        with self._lock:
            compiled = self._compiled or self._compile()
            for start in range(0, padded, self.batch_size):
                end = start + self.batch_size
                outputs.append(np.asarray(compiled(z[start:end], p[start:end])))
        return to_uint8(np.concatenate(outputs)[:count]) if count else np.zeros(
            (0, self.resolution, self.resolution, 3), np.uint8
        )

    def generate(self, seeds, truncation=1.0) -> np.ndarray:
        """Images for seeds; each image depends only on its seed and psi, never on the rest of the batch."""
        seeds = list(seeds)
        latents = latents_for_seeds(seeds, self.latent_dim) if seeds else np.zeros((0, self.latent_dim))
        return self.generate_from_latents(latents, truncation)

    @property
    def memory_bytes(self) -> int:
        """Rough resident size: weights plus every layer's activations at the fixed batch size."""
        weights = sum(int(np.prod(v.shape)) * 4 for v in self.network.weights)
        per_row = sum(int(np.prod(layer.output.shape[1:])) for layer in self.network.layers)
        return weights + per_row * 4 * self.batch_size

    def _compile(self):
        """A tf.function with a fixed input signature: traced once, never per request."""
        import tensorflow as tf

        mapping, synthesis = _split_at_truncation_point(self.network)
        spec = [
            tf.TensorSpec((self.batch_size, self.latent_dim), tf.float32),  # latents, zero-padded
            tf.TensorSpec((self.batch_size,), tf.float32),  # psi per row
        ]

        @tf.function(input_signature=spec, reduce_retracing=False)
        def run(z, psi):
            w = z if mapping is None else mapping(z)
            return synthesis(w * psi[:, None], training=False)  # centre 0: truncation is psi * w

        self._compiled = run
        return run


def _split_at_truncation_point(network):
    """(mapping, synthesis): a parameter-free input normalisation (PixelNorm) stays before the split."""
    import keras

    from models.gan.layers import PixelNorm

    first = network.layers[1]  # layers[0] is the InputLayer; functional layers are in graph order
    if isinstance(first, PixelNorm) and first.input is network.inputs[0]:
        return first, keras.Model(first.output, network.output, name="synthesis")
    return None, network


def served_weights_file(folder: Path) -> Path:
    ema = folder / storage.GENERATOR_EMA_FILE
    return ema if ema.is_file() else folder / storage.GENERATOR_FILE  # EMA generator serves when present


def _fingerprint(weights: Path, card: dict) -> str:
    """Hash of the weights' bytes and what else decides the pixels: equal on every replica, unlike mtimes."""
    digest = hashlib.sha256()
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    shape = [card.get(key) for key in ("family", "architecture", "resolution", "latent_dim")]
    digest.update(f"|{shape}|batch={INFERENCE_BATCH_SIZE}".encode())
    return digest.hexdigest()[:20]


def load_network(path: Path):
    """A saved Keras network (.keras file), uncompiled, in safe_mode: no arbitrary code from the file runs."""
    import keras

    import models.gan.layers  # noqa: F401  registers the custom layers for safe_mode loading

    return keras.saving.load_model(path, compile=False, safe_mode=True)


def load_generator(model_id: str, data_dir: Path) -> SeededGenerator:
    folder = storage.model_dir(data_dir, model_id)
    if folder is None:
        raise ModelNotFoundError(model_id)
    card = storage.read_json(folder / storage.MODEL_CARD)
    weights = served_weights_file(folder)
    fingerprint = _fingerprint(weights, card)  # read before loading: a file replaced meanwhile gets a new one
    return SeededGenerator(model_id, folder, card, load_network(weights), fingerprint)
