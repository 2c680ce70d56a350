"""Transfer benchmark: fine-tuning the shipped base vs training from scratch on few OpenMoji images.

    .venv/bin/python bench/transfer.py --data ../shared/data/emoji --steps 300 --shots 10,100

Runs models.training.train (the function the worker's job runs) on the project's emoji data (--data:
the folder with openmoji64_train<shots>.zip and openmoji64_eval.zip, which the repository does not ship):
target = OpenMoji few-shot train zips, evaluation = openmoji64_eval.zip (800 held-out images).
Same steps, batch size and seed for every method. Prints one table and writes
bench/results/transfer.json and bench/results/transfer_grid.png.
KID is computed on EfficientNet-Lite0 features ("KID-EffLite0"): not comparable with Inception KID.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scoring import read_zip, write_dataset  # noqa: E402  (bench/scoring.py)

from models import storage  # noqa: E402
from models.config import TrainConfig  # noqa: E402
from models.images import encode_png, make_grid  # noqa: E402

METHODS = {  # name -> TrainConfig overrides; "scratch" trains the same architecture with no base
    "scratch": dict(base_model_id=None, augment="diffaugment"),
    "finetune_plain": dict(augment="none"),
    "finetune_diffaugment": dict(augment="diffaugment"),
    "finetune_freezed_diffaugment": dict(augment="diffaugment", method="freeze_d", freeze_d_layers=2),
    "finetune_ada": dict(augment="ada"),
    "finetune_projected": dict(augment="diffaugment", discriminator="projected"),  # deep transfer
    "vae_scratch": dict(base_model_id=None, family="vae", learning_rate=1e-3),
    "vae_finetune": dict(base_model_id="emoji64-vae", family="vae", learning_rate=1e-3),
}
GRID_COLUMNS = 12
SCRATCH_OF = {"vae_finetune": "vae_scratch"}  # the from-scratch row each method is compared with


def emoji_files(folder: Path, shots: list[int]) -> Path:
    """The --data folder, once every zip this run reads is there; a clear error otherwise."""
    needed = ["openmoji64_eval.zip"] + [f"openmoji64_train{n}.zip" for n in shots]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        sys.exit(f"bench/transfer.py: --data {folder} lacks {', '.join(missing)} (the project's shared emoji data; "
                 "the repository does not ship it). Point --data at the folder that holds them.")
    return folder


class Scorer:
    def __init__(self, eval_images: np.ndarray, samples: int, feature_network: Path, cache_dir: Path):
        from models.metrics.features import FeatureExtractor

        self.eval_images = eval_images
        self.samples = samples
        self.extractor = FeatureExtractor(feature_network, cache_dir=cache_dir)
        self.eval_features = self.extractor.cached(eval_images)
        self.heldout = eval_images[np.random.default_rng(1).choice(len(eval_images), 200, replace=False)]

    def __call__(self, generator, train_images: np.ndarray) -> dict:
        from models.metrics.evaluator import sample_images
        from models.metrics.kid import kid
        from models.metrics.memorization import memorization_ratio
        from models.metrics.swd import swd

        fakes = sample_images(generator, self.samples)
        kid_mean, kid_std = kid(self.eval_features, self.extractor(fakes), num_subsets=50)
        subset = self.eval_images[np.random.default_rng(2).choice(len(self.eval_images), len(fakes), replace=False)]
        return {"kid_mean": kid_mean, "kid_std": kid_std, "swd": swd(subset, fakes),
                "memorization_ratio": memorization_ratio(fakes[:200], train_images, self.heldout),
                "fakes": fakes[:GRID_COLUMNS]}  # only what the grid shows


def run_method(name, shots, args, data_dir, scorer, train_images):
    import keras

    from models.loading import load_network
    from models.training import train

    overrides = {"base_model_id": args.base, **METHODS[name]}
    # preset "none": each method is exactly its overrides on the plain defaults (standard D, R1 0.1), as
    # when this table was measured; bench/transfer_curve.py and bench/default_job.py measure the preset.
    config = TrainConfig(dataset_id=f"openmoji{shots}", steps=args.steps, batch_size=args.batch_size,
                         seed=args.seed, preset="none", preview_every=10**6, checkpoint_every=10**6, **overrides)
    run_dir = Path(tempfile.mkdtemp(dir=data_dir))
    started = time.monotonic()
    train(config, data_dir=data_dir, run_dir=run_dir, model_id=f"{name}-{shots}")
    wall = time.monotonic() - started
    generator = load_network(run_dir / storage.GENERATOR_EMA_FILE)
    row = {"method": name, "shots": shots, "steps": args.steps, "wall_seconds": round(wall, 1),
           **scorer(generator, train_images)}
    keras.backend.clear_session()  # each run builds new networks and traced functions: free the old ones
    if config.discriminator == "projected":
        row["kid_network_shared_with_discriminator"] = True  # flatters KID: read SWD for this row
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with openmoji64_eval.zip and openmoji64_train<shots>.zip (e.g. ../shared/data/emoji)")
    parser.add_argument("--base", default="emoji64-gan")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shots", default="10,100")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--few-shot-methods", default="scratch,finetune_diffaugment,finetune_freezed_diffaugment",
                        help="methods for shot counts <= 10 (time budget)")
    parser.add_argument("--samples", type=int, default=500, help="generated images per KID/SWD evaluation")
    parser.add_argument("--feature-network", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "transfer.json")
    args = parser.parse_args()

    from models.loading import load_network
    from models.metrics.features import DEFAULT_FEATURE_NETWORK

    emoji = emoji_files(args.data, [int(s) for s in args.shots.split(",")])

    data_dir = Path(tempfile.mkdtemp(prefix="transfer-bench-"))
    scorer = Scorer(read_zip(emoji / "openmoji64_eval.zip"), args.samples,
                    args.feature_network or DEFAULT_FEATURE_NETWORK, REPO / "var" / "cache" / "features")
    base = load_network(storage.model_dir(data_dir, args.base) / storage.GENERATOR_EMA_FILE)
    rows, train_sets = [], {}
    for shots in [int(s) for s in args.shots.split(",")]:  # zero-shot first: runs below clear Keras' session
        train_sets[shots] = train_images = read_zip(emoji / f"openmoji64_train{shots}.zip")
        write_dataset(data_dir, f"openmoji{shots}", train_images)
        rows.append({"method": "base_zero_shot", "shots": shots, "steps": 0, "wall_seconds": 0.0,
                     **scorer(base, train_images)})
        print(_format_row(rows[-1]), flush=True)
    for shots, train_images in train_sets.items():
        for name in (args.few_shot_methods if shots <= 10 else args.methods).split(","):
            rows.append(run_method(name, shots, args, data_dir, scorer, train_images))
            print(_format_row(rows[-1]), flush=True)
    _add_ratios(rows)
    _print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write_grid(rows, scorer.eval_images, args.out.with_name(f"{args.out.stem}_grid.png"))
    clean = [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items() if k != "fakes"} for r in rows]
    args.out.write_text(json.dumps(clean, indent=2) + "\n")
    print(f"wrote {args.out}")


def _add_ratios(rows):
    for row in rows:
        reference = SCRATCH_OF.get(row["method"], "scratch")
        scratch = next((r for r in rows if r["shots"] == row["shots"] and r["method"] == reference), None)
        row["kid_ratio_vs_scratch"] = (row["kid_mean"] / scratch["kid_mean"]) if scratch and scratch["kid_mean"] > 0 else None


def _format_row(r):
    ratio = r.get("kid_ratio_vs_scratch")
    return (f"{r['method']:<30} {r['shots']:>5} {r['steps']:>6} {r['wall_seconds']:>8.1f} "
            f"{r['kid_mean']:>8.4f} ± {r['kid_std']:<7.4f} {r['swd']:>8.2f} {r['memorization_ratio']:>7.3f} "
            f"{'' if ratio is None else f'{ratio:.3f}':>8}")


def _print_table(rows):
    print(f"\n{'method':<30} {'shots':>5} {'steps':>6} {'wall_s':>8} {'KID-EffLite0':>18} {'SWD':>8} "
          f"{'memo':>7} {'KID/scr':>8}")
    for row in rows:
        print(_format_row(row))


def _write_grid(rows, eval_images, path: Path, per_row: int = GRID_COLUMNS):
    """Rows: scratch, best fine-tune, real OpenMoji (the largest shot count)."""
    shots = max(r["shots"] for r in rows)
    candidates = [r for r in rows if r["shots"] == shots and r["method"].startswith("finetune")
                  and r["method"] != "finetune_projected"]  # its KID is flattered (same network as D)
    best = min(candidates, key=lambda r: r["kid_mean"]) if candidates else None
    scratch = next((r for r in rows if r["shots"] == shots and r["method"] == "scratch"), None)
    picks = [r["fakes"][:per_row] for r in (scratch, best) if r is not None]
    real = eval_images[np.random.default_rng(3).choice(len(eval_images), per_row, replace=False)]
    path.write_bytes(encode_png(make_grid(np.concatenate(picks + [real]), columns=per_row)))
    print(f"wrote {path} (rows: scratch, {best['method'] if best else '-'}, real; {shots}-shot)")


if __name__ == "__main__":
    main()
