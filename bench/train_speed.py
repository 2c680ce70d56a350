"""Speed per step of the default fine-tune, before (the v1 recipe) and after (today's default), side by side.

    .venv/bin/python bench/train_speed.py --data ../shared/data/emoji     # ~6 minutes on 2 CPU cores

Both arms train in this one process on the same 100 OpenMoji images at the same batch size, in
alternating blocks (before, after, before, after, ...), so load from other processes hits both alike:
- before: the default fine-tune of v1: the "lite" generator and discriminator of the first shipped base
  (base_channels 128, latent 128), float32, DiffAugment, R1 0.1, standard D. Its networks are built
  fresh: a step costs the same whatever the weights hold, so the old base's files are not needed;
- standard: today's fine-tune with the standard D asked for explicitly (preset "auto", discriminator
  "standard": the base's own D, R1, DiffAugment) on this machine's precision ("auto"): the v1 recipe
  with today's step-cost work (bfloat16 where the CPU has AMX);
- after:  what `POST /v1/jobs` with only dataset_id and base_model_id trains today (preset "auto" on the
  shipped base, resolved by models.preflight: the projected D with the base's D as pixel branch), on
  this machine's precision. It does more work per step than the others: its win is quality per
  CPU-minute (bench/transfer_curve.py), not steps per second.
steps/s is the median over blocks of (steps in the block) / (its wall time); images/s = steps/s x batch.
Also reports the process CPU seconds per step, which other processes do not inflate as much.
Writes bench/results/train_speed.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from machine import background_training  # noqa: E402  (bench/machine.py)
from scoring import read_zip, require_files, write_dataset  # noqa: E402  (bench/scoring.py)
from models.config import TrainConfig  # noqa: E402

BEFORE = dict(preset="none", base_model_id=None, architecture="lite", base_channels=128, latent_dim=128,
              precision="float32", augment="diffaugment", r1_gamma=0.1, discriminator="standard")


def build_arm(config: TrainConfig, data_dir: Path):
    """The training model and its batches, as models.training.train builds them."""
    from models.data import load_training_images, training_pipeline
    from models.preflight import preflight
    from models.setup import build_training_model

    config = preflight(config, data_dir)
    images, meta = load_training_images(data_dir, config.dataset_id)
    model, _ = build_training_model(config, data_dir, meta.resolution)
    return config, model, iter(training_pipeline(images, config.batch_size, seed=config.seed))


def time_block(model, batches, steps: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of `steps` training steps."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.train_on_batch(next(batches))
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with openmoji64_train100.zip "
                                                                 "(e.g. ../shared/data/emoji)")
    parser.add_argument("--base", default="emoji64-gan")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--steps", type=int, default=40, help="training steps per block")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "train_speed.json")
    args = parser.parse_args()
    if background_training():
        print("warning: a base-model training runs on this machine; timings are not comparable", flush=True)

    data = require_files(args.data, ["openmoji64_train100.zip"], "bench/train_speed.py")
    data_dir = Path(tempfile.mkdtemp(prefix="train-speed-"))
    write_dataset(data_dir, "openmoji100", read_zip(data / "openmoji64_train100.zip"))
    arms = {
        "before": TrainConfig(dataset_id="openmoji100", **BEFORE),
        "standard": TrainConfig(dataset_id="openmoji100", base_model_id=args.base, discriminator="standard"),
        "after": TrainConfig(dataset_id="openmoji100", base_model_id=args.base),
    }
    built = {name: build_arm(config, data_dir) for name, config in arms.items()}
    for name, (config, model, batches) in built.items():
        time_block(model, batches, 5)  # trace and warm up outside the measurement
    blocks = {name: [] for name in arms}
    for block in range(args.blocks):
        for name, (config, model, batches) in built.items():
            wall, cpu = time_block(model, batches, args.steps)
            blocks[name].append({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)})
            print(f"block {block} {name:<8} {args.steps / wall:6.2f} steps/s  {cpu / args.steps:6.3f} CPU s/step",
                  flush=True)
    rows = {}
    for name, (config, _, _) in built.items():
        steps_per_s = statistics.median(args.steps / b["wall_s"] for b in blocks[name])
        rows[name] = {
            "steps_per_second": round(steps_per_s, 3),
            "images_per_second": round(steps_per_s * config.batch_size, 1),
            "cpu_seconds_per_step": round(statistics.median(b["cpu_s"] / args.steps for b in blocks[name]), 4),
            "config": {k: v for k, v in config.model_dump(mode="json").items()
                       if k in ("base_model_id", "architecture", "base_channels", "discriminator",
                                "projected_resolution", "projected_pixel", "augment", "r1_gamma", "batch_size",
                                "precision", "steps")},
            "blocks": blocks[name],
        }
    from models.precision import resolve

    result = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "precision_auto_resolves_to": resolve("auto"),
        "steps_per_block": args.steps,
        "arms": rows,
        "speedup_steps_per_second": round(rows["after"]["steps_per_second"] / rows["before"]["steps_per_second"], 3),
        "speedup_standard_d_steps_per_second": round(
            rows["standard"]["steps_per_second"] / rows["before"]["steps_per_second"], 3),
    }
    for name, row in rows.items():
        print(f"{name:<8} {row['steps_per_second']:6.2f} steps/s  {row['images_per_second']:7.1f} images/s  "
              f"{row['cpu_seconds_per_step']:.3f} CPU s/step  {row['config']}")
    print(f"after / before: {result['speedup_steps_per_second']:.3f}x steps/s; "
          f"standard / before: {result['speedup_standard_d_steps_per_second']:.3f}x steps/s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
