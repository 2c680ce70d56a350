"""Quality per CPU-minute: KID and SWD of fine-tunes after 1, 3, 10 and 30 CPU-minutes of training.

    .venv/bin/python bench/transfer_curve.py --data ../shared/data/emoji      # ~3 h on 2 CPU cores

For each method and shot count, one training run (models.training.train, the worker's function) is
stopped when the process has spent each --points budget of CPU time on training (user + system time of
all its threads, evaluation excluded; on 2 busy cores one CPU-minute is ~30 s of wall time), scored
(bench/scoring.py: KID-EffLite0 and KID-EffLite2 against openmoji64_eval.zip, SWD, memorisation), and
resumed from its checkpoint for the next budget. The methods are TrainConfig overrides on top of what
`POST /v1/jobs` with only dataset_id and base_model_id gets (preset "auto"), with `steps` raised so the
budget, not the step count, ends each run.
Writes bench/results/transfer_curve.json (rows {method, shots, steps, cpu_minutes, kid_mean, kid_std,
swd, memorization_ratio, ...}), transfer_curve.png (the plot) and transfer_curve_grid.png (samples per point).
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

from scoring import Scorer, read_zip, require_files, write_dataset  # noqa: E402  (bench/scoring.py)

from models.config import TrainConfig  # noqa: E402

METHODS = {  # name -> overrides of the preset's recipe ({} = the default job)
    "default": {},
    "ada": dict(augment="ada"),
    "lr_half": dict(learning_rate=1e-4),
    "projected": dict(discriminator="projected", projected_resolution=64),  # deep transfer: new D on EffLite0
}
GRID_SAMPLES = 8


def cpu_seconds() -> float:
    return time.process_time()


class CpuBudget:
    """abort_fn for models.training.train: true once training has used `limit` CPU seconds in all."""

    def __init__(self):
        self.used = 0.0
        self._since: float | None = None

    def start(self):
        self._since = cpu_seconds()

    def stop(self):
        self.used += cpu_seconds() - self._since
        self._since = None

    def exceeded(self, limit: float) -> bool:
        return self.used + (cpu_seconds() - self._since) >= limit


def run_curve(method: str, shots: int, args, data_dir: Path, scorer: Scorer, train_images: np.ndarray) -> list[dict]:
    import keras

    from models.errors import TrainingAborted
    from models.preflight import preflight
    from models.training import train

    request = TrainConfig(dataset_id=f"target{shots}", base_model_id=args.base, seed=args.seed,
                          **METHODS[method])
    config = preflight(request, data_dir)  # the default job's recipe, resolved as the API would
    config = config.model_copy(update={"steps": 10**6, "preview_every": 10**6, "checkpoint_every": 10**6})
    run_dir = Path(tempfile.mkdtemp(dir=data_dir))
    budget, rows = CpuBudget(), []
    for point in args.points:
        budget.start()
        try:
            train(config, data_dir=data_dir, run_dir=run_dir, model_id=f"{method}-{shots}",
                  abort_fn=lambda: budget.exceeded(point * 60))
        except TrainingAborted as stop:
            step = stop.step
        budget.stop()
        row = {"method": method, "shots": shots, "steps": step, "cpu_minutes": round(budget.used / 60, 2),
               **scorer(_ema_generator(config, data_dir, run_dir), train_images, keep=GRID_SAMPLES)}
        rows.append(row)
        print(_format(row), flush=True)
        keras.backend.clear_session()
    return rows


def _ema_generator(config: TrainConfig, data_dir: Path, run_dir: Path):
    """The EMA generator of the run's latest checkpoint (written when the budget stopped it)."""
    from models.checkpoints import restore_checkpoint
    from models.setup import build_training_model

    model, _ = build_training_model(config, data_dir, 64)
    restore_checkpoint(model, run_dir / "checkpoints")
    return model.ema_generator


def _format(row: dict) -> str:
    second = f" {row['kid_mean_efflite2']:.4f}" if "kid_mean_efflite2" in row else ""
    return (f"{row['method']:<18} {row['shots']:>5} {row['steps']:>6} {row['cpu_minutes']:>7.2f} "
            f"{row['kid_mean']:.4f} ± {row['kid_std']:.4f}{second} {row['swd']:7.1f} {row['memorization_ratio']:.3f}")


def write_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for (method, shots), group in _groups(rows).items():
        x = [r["cpu_minutes"] for r in group]
        style = "-o" if shots >= 100 else "--s"
        axes[0].plot(x, [r["kid_mean"] for r in group], style, label=f"{method}, {shots} shots")
        axes[1].plot(x, [r["swd"] for r in group], style, label=f"{method}, {shots} shots")
    for axis, name in zip(axes, ["KID-EffLite0 vs openmoji64_eval", "SWD (x1e3)"]):
        axis.set_xscale("log")
        axis.set_xlabel("CPU-minutes of training (2-core CPU)")
        axis.set_title(name)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].axhline(0.05, color="grey", linestyle=":", linewidth=1)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_grid(rows: list[dict], path: Path) -> None:
    """One row per (method, shots, point): GRID_SAMPLES samples each."""
    from models.images import encode_png, make_grid

    images = np.concatenate([r["fakes"][:GRID_SAMPLES] for r in rows])
    path.write_bytes(encode_png(make_grid(images, columns=GRID_SAMPLES)))


def write_results(rows: list[dict], args, scorer: Scorer) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_plot(rows, args.out.with_suffix(".png"))
    write_grid(rows, args.out.with_name(f"{args.out.stem}_grid.png"))
    clean = [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items() if k != "fakes"} for r in rows]
    args.out.write_text(json.dumps({"target": args.prefix, "base": args.base, "networks": scorer.labels,
                                    "methods": {m: METHODS[m] for m in args.methods.split(",")},
                                    "rows": clean}, indent=2) + "\n")


def _groups(rows):
    groups = {}
    for row in rows:
        groups.setdefault((row["method"], row["shots"]), []).append(row)
    return groups


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with <prefix>_train<shots>.zip and "
                                                                 "<prefix>_eval.zip (e.g. ../shared/data/emoji)")
    parser.add_argument("--prefix", default="openmoji64", help="zip name prefix of the target set")
    parser.add_argument("--base", default="emoji64-gan")
    parser.add_argument("--shots", default="100,10")
    parser.add_argument("--methods", default="default,ada,lr_half")
    parser.add_argument("--points", default="1,3,10,30", help="CPU-minute budgets at which to score")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=500, help="generated images per evaluation")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "transfer_curve.json")
    args = parser.parse_args()
    args.points = [float(p) for p in args.points.split(",")]
    shots_list = [int(s) for s in args.shots.split(",")]
    unknown = [m for m in args.methods.split(",") if m not in METHODS]
    if unknown:
        sys.exit(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    data = require_files(args.data, [f"{args.prefix}_eval.zip"] + [f"{args.prefix}_train{n}.zip" for n in shots_list],
                         "bench/transfer_curve.py")

    data_dir = Path(tempfile.mkdtemp(prefix="transfer-curve-"))
    scorer = Scorer(read_zip(data / f"{args.prefix}_eval.zip"), args.samples, REPO / "var" / "cache" / "features")
    rows = []
    for shots in shots_list:
        train_images = read_zip(data / f"{args.prefix}_train{shots}.zip")
        write_dataset(data_dir, f"target{shots}", train_images)
        for method in args.methods.split(","):
            rows.extend(run_curve(method, shots, args, data_dir, scorer, train_images))
            write_results(rows, args, scorer)  # after each curve: a long run interrupted keeps what it measured
    print(f"wrote {args.out}, {args.out.with_suffix('.png')}, {args.out.with_name(args.out.stem + '_grid.png')}")


if __name__ == "__main__":
    main()
