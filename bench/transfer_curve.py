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

from scoring import Scorer, read_zip, require_files, write_dataset, write_sample_rows  # noqa: E402  (bench/scoring.py)

from models.config import TrainConfig  # noqa: E402

METHODS = {  # name -> overrides of the preset's recipe ({} = the default job)
    "default": {},  # today: the projected D with the base's D as pixel branch (= "projected_pixel")
    "standard": dict(discriminator="standard"),  # the base's own D alone, DiffAugment, R1 (the default until issue 9)
    "ada": dict(discriminator="standard", augment="ada"),
    "lr_half": dict(discriminator="standard", learning_rate=1e-4),
    # deep transfer: a new D on frozen EffLite0 features (input 64) ...
    "projected": dict(discriminator="projected", projected_resolution=64, projected_pixel=False),
    "projected_lr_half": dict(discriminator="projected", projected_resolution=64, projected_pixel=False,
                              learning_rate=1e-4),
    # ... plus the base's own pixel D beside the feature-space patches
    "projected_pixel": dict(discriminator="projected", projected_resolution=64, projected_pixel=True),
    # the default plus CDC (cross-domain correspondence to the base G, models/gan/cdc.py) at two weights
    "cdc100": dict(cdc_weight=100.0),
    "cdc1000": dict(cdc_weight=1000.0),
    # the default with the pixel branch carrying 80% / 35% / 20% / 50% of the hinge loss (the preset's share
    # depends on the dataset's size: models/presets.py)
    "pixel80": dict(projected_pixel_weight=0.8),
    "pixel50": dict(projected_pixel_weight=0.5),
    "pixel35": dict(projected_pixel_weight=0.35),
    "pixel20": dict(projected_pixel_weight=0.2),
    # the default at twice its learning rate (G and D): halving it cost the projected D 0.023 KID at 10
    # CPU-minutes, so the recipe looked step-size limited (it was not: README "Learning rate and batch")
    "lr_double": dict(learning_rate=4e-4),
    # the default at half its batch: twice the updates per CPU-minute
    "batch16": dict(batch_size=16),
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
            f"{row['kid_mean']:.4f} ± {row['kid_std']:.4f}{second} {row['swd']:7.1f} "
            f"{row['blank_share']:.2f} {row['memorization_ratio']:.3f}")


def write_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("kid_mean", "KID-EffLite0 vs openmoji64_eval"), ("kid_mean_efflite2", "KID-EffLite2 (D never reads it)"),
              ("swd", "SWD (x1e3)")]
    panels = [(key, title) for key, title in panels if all(key in r for r in rows)]
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2))
    for (method, shots), group in _groups(rows).items():
        x = [r["cpu_minutes"] for r in group]
        style = "-o" if shots >= 100 else "--s"
        for axis, (key, _) in zip(axes, panels):
            axis.plot(x, [r[key] for r in group], style, label=f"{method}, {shots} shots")
    for axis, (_, title) in zip(axes, panels):
        axis.set_xscale("log")
        axis.set_xlabel("CPU-minutes of training (2-core CPU)")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    for axis, (key, _) in zip(axes, panels):
        if key.startswith("kid"):
            axis.axhline(0.05, color="grey", linestyle=":", linewidth=1)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_grid(rows: list[dict], path: Path) -> None:
    """One row per (method, shots, point): GRID_SAMPLES samples each."""
    write_sample_rows([r["fakes"] for r in rows], path, GRID_SAMPLES)


def write_results(rows: list[dict], args, scorer: Scorer, earlier: dict | None = None) -> None:
    """The json and plot of `rows` (plus, with --append, the earlier run's rows of other methods/shots);
    the sample grid of this run's rows (its own file with --append: earlier runs' samples are not kept)."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    clean = [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items() if k != "fakes"} for r in rows]
    methods = {m: METHODS[m] for m in args.methods.split(",")}
    if earlier:
        ran = {(r["method"], r["shots"]) for r in rows}
        clean = [r for r in earlier["rows"] if (r["method"], r["shots"]) not in ran] + clean
        methods = {**earlier.get("methods", {}), **methods}
    write_plot(clean, args.out.with_suffix(".png"))
    grid_name = f"{args.out.stem}_grid_{args.methods.replace(',', '_')}.png" if earlier else f"{args.out.stem}_grid.png"
    write_grid(rows, args.out.with_name(grid_name))
    args.out.write_text(json.dumps({"target": args.prefix, "base": args.base, "networks": scorer.labels,
                                    "methods": methods, "rows": clean}, indent=2) + "\n")


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
    parser.add_argument("--append", action="store_true",
                        help="keep --out's rows of other methods/shots (same target and base) and add this run's")
    args = parser.parse_args()
    args.points = [float(p) for p in args.points.split(",")]
    shots_list = [int(s) for s in args.shots.split(",")]
    unknown = [m for m in args.methods.split(",") if m not in METHODS]
    if unknown:
        sys.exit(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    data = require_files(args.data, [f"{args.prefix}_eval.zip"] + [f"{args.prefix}_train{n}.zip" for n in shots_list],
                         "bench/transfer_curve.py")

    earlier = json.loads(args.out.read_text()) if args.append and args.out.is_file() else None
    if earlier and (earlier["target"], earlier["base"]) != (args.prefix, args.base):
        sys.exit(f"--append: {args.out} measured {earlier['target']} on {earlier['base']}, not {args.prefix} on {args.base}")
    data_dir = Path(tempfile.mkdtemp(prefix="transfer-curve-"))
    scorer = Scorer(read_zip(data / f"{args.prefix}_eval.zip"), args.samples, REPO / "var" / "cache" / "features")
    rows = []
    for shots in shots_list:
        train_images = read_zip(data / f"{args.prefix}_train{shots}.zip")
        write_dataset(data_dir, f"target{shots}", train_images)
        for method in args.methods.split(","):
            rows.extend(run_curve(method, shots, args, data_dir, scorer, train_images))
            write_results(rows, args, scorer, earlier)  # after each curve: a long run interrupted keeps what it measured
    print(f"wrote {args.out}, {args.out.with_suffix('.png')} and the sample grid beside them")


if __name__ == "__main__":
    main()
