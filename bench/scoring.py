"""What the transfer benchmarks share: image zips, benchmark datasets, and the scorer.

The scorer reports, for a generator against a held-out real set:
- KID on EfficientNet-Lite0 features (KID-EffLite0, the project's validation metric) and, when the file
  is there, on EfficientNet-Lite2 (KID-EffLite2): a second network, because the projected
  discriminator reads EffLite0 features and so flatters KID-EffLite0;
- SWD (x1e3), which needs no network;
- the blank share (models/metrics/blank.py): samples flatter than 98% of the real images, the fade to
  empty tiles that KID forgives;
- the memorisation ratio (median nearest-training-image distance of samples / of held-out reals).
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from models import datasets

WEIGHTS = Path(__file__).resolve().parents[1] / "models" / "metrics" / "weights"
SECOND_NETWORK = WEIGHTS / "efficientnet_lite2_features.keras"


def read_zip(path: Path) -> np.ndarray:
    """Every PNG of a zip as uint8 (N, H, W, 3), in member-name order."""
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".png"))
        return np.stack([np.asarray(Image.open(io.BytesIO(archive.read(n))).convert("RGB")) for n in names])


def write_dataset(data_dir: Path, dataset_id: str, images: np.ndarray) -> None:
    """All images as training images of a stored dataset (the benchmark's; the API splits off validation)."""
    datasets.write_training_set(data_dir, dataset_id, dataset_id, int(images.shape[1]), map(Image.fromarray, images))


def write_sample_rows(image_rows: list[np.ndarray], path: Path, columns: int) -> None:
    """A PNG grid with one row of `columns` samples per entry of `image_rows` (uint8 HxWx3 images)."""
    from models.images import encode_png, make_grid

    images = np.concatenate([row[:columns] for row in image_rows])
    path.write_bytes(encode_png(make_grid(images, columns=columns)))


def require_files(folder: Path, names: list[str], script: str, flag: str = "--data") -> Path:
    """`folder`, once every file a run reads is there; exits with a clear message otherwise."""
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        sys.exit(f"{script}: {flag} {folder} lacks {', '.join(missing)}. Point {flag} at the folder that holds "
                 "them (the shared emoji data is ../shared/data/emoji beside the repository; other target sets "
                 "are built by tools/build_target_sets.py).")
    return folder


class Scorer:
    def __init__(self, eval_images: np.ndarray, samples: int, cache_dir: Path,
                 feature_network: Path | None = None, second_network: Path | None = SECOND_NETWORK):
        from models.metrics.features import DEFAULT_FEATURE_NETWORK, FeatureExtractor

        self.eval_images = eval_images
        self.samples = samples
        self.extractors = [FeatureExtractor(feature_network or DEFAULT_FEATURE_NETWORK, cache_dir=cache_dir)]
        if second_network is not None and Path(second_network).is_file():
            self.extractors.append(FeatureExtractor(second_network, cache_dir=cache_dir))
        self.eval_features = [extractor.cached(eval_images) for extractor in self.extractors]
        self.heldout = eval_images[np.random.default_rng(1).choice(len(eval_images), 200, replace=False)]

    @property
    def labels(self) -> list[str]:
        return [extractor.label for extractor in self.extractors]

    def __call__(self, generator, train_images: np.ndarray, keep: int = 12) -> dict:
        from models.metrics.evaluator import sample_images

        return self.score_images(sample_images(generator, self.samples), train_images, keep)

    def score_images(self, fakes: np.ndarray, train_images: np.ndarray, keep: int = 12) -> dict:
        from models.metrics.kid import kid
        from models.metrics.memorization import memorization_ratio
        from models.metrics.blank import blank_share
        from models.metrics.swd import swd

        row = {}
        for extractor, real in zip(self.extractors, self.eval_features):
            mean, std = kid(real, extractor(fakes), num_subsets=50)
            suffix = "" if extractor is self.extractors[0] else f"_{extractor.label.lower()}"
            row[f"kid_mean{suffix}"], row[f"kid_std{suffix}"] = mean, std
        subset = self.eval_images[np.random.default_rng(2).choice(len(self.eval_images), len(fakes),
                                                                  replace=len(fakes) > len(self.eval_images))]
        row["swd"] = swd(subset, fakes)
        row["blank_share"] = blank_share(self.eval_images, fakes)
        row["memorization_ratio"] = memorization_ratio(fakes[:200], train_images, self.heldout)
        row["fakes"] = fakes[:keep]  # only what a grid shows
        return row
