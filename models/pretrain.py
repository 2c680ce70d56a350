"""Reproduce a shipped base model: train from scratch on a zip of images with this project's code.

    python -m models.pretrain --zip ../shared/data/emoji/google64.zip \
        --out models/pretrained/emoji64-gan --steps 30000 --minutes 100

Stops at --steps or when --minutes have passed (then the run ends at the step it reached),
resumes from its checkpoints when run again with the same --work folder, and writes only what
the base needs to ship (EMA generator, discriminator, config, card, samples, metrics).

Several --zip files are pooled into one source set. --continue-from a shipped model folder trains
further from its networks (a new stage, e.g. after the first run's checkpoints are gone); the card
then lists every stage and counts the steps and wall time of all of them. The card also records
the EMA generator's KID against the source set on --feature-network ("KID-EffLite0" by default).
"""
from __future__ import annotations

import argparse
import io
import shutil
import time
import zipfile
from pathlib import Path

from PIL import Image

from models import datasets, storage
from models.config import TrainConfig
from models.errors import TrainingAborted

SECOND_FEATURE_NETWORK = Path(__file__).resolve().parent / "metrics" / "weights" / "efficientnet_lite2_features.keras"
SHIPPED_FILES = [storage.CONFIG_FILE, storage.MODEL_CARD, storage.GENERATOR_EMA_FILE, storage.SAMPLES_FILE,
                 storage.METRICS_FILE]


def source_name(zip_paths: list[Path]) -> str:
    return " + ".join(p.name for p in zip_paths)


def write_zips_as_dataset(zip_paths: list[Path], data_dir: Path, dataset_id: str, resolution: int) -> None:
    """Store every image of the zips, zip by zip in name order, as the training split of a dataset
    (centre-cropped and resized like an upload: models.datasets)."""
    datasets.write_training_set(data_dir, dataset_id, source_name(zip_paths), resolution, _zip_images(zip_paths))


def _zip_images(zip_paths: list[Path]):
    for zip_path in zip_paths:
        with zipfile.ZipFile(zip_path) as archive:
            for member in sorted(n for n in archive.namelist() if n.lower().endswith(".png")):
                with Image.open(io.BytesIO(archive.read(member))) as image:
                    yield image.convert("RGB")


def finish_card(card: dict, run_dir: Path, wall_seconds: float, cpu_seconds: float) -> None:
    """The card of the whole run: total wall and CPU time, and the last logged losses (a run that stopped
    on its time budget is saved by a second, zero-step call whose own figures would say nothing)."""
    card["card"]["wall_seconds"] = round(wall_seconds, 1)
    card["card"]["cpu_seconds"] = round(cpu_seconds, 1)
    rows = [r for r in storage.read_jsonl(run_dir / storage.METRICS_FILE) if "g_loss" in r]
    if rows:
        card["metrics"]["final_losses"] = {"g": rows[-1]["g_loss"], "d": rows[-1]["d_loss"]}


def stage_of(card: dict) -> dict:
    """One training stage as the card records it."""
    own = card["card"]
    stage = {"data": own.get("data"), "steps": own["steps"], "wall_seconds": own["wall_seconds"],
             "hardware": own.get("hardware")}
    return {**stage, "cpu_seconds": own["cpu_seconds"]} if own.get("cpu_seconds") is not None else stage


def add_previous_stages(card: dict, previous: dict) -> None:
    """A continued run's card: a from-scratch base trained in stages, counting all of them."""
    stages = previous["card"].get("stages") or [stage_of(previous)]
    stages = stages + [stage_of(card)]
    card["parent_id"] = previous.get("parent_id")
    card["card"]["stages"] = stages
    card["card"]["steps"] = sum(stage["steps"] for stage in stages)
    card["card"]["wall_seconds"] = round(sum(stage["wall_seconds"] for stage in stages), 1)
    if all("cpu_seconds" in stage for stage in stages):
        card["card"]["cpu_seconds"] = round(sum(stage["cpu_seconds"] for stage in stages), 1)
    else:  # stages recorded before CPU time was
        card["card"].pop("cpu_seconds", None)
    card["card"]["description"] = (f"{card['family'].upper()} trained from scratch in {len(stages)} stages "
                                   f"({card['card']['steps']} steps); last stage on {card['card']['data']}")


def copy_as_start(folder: Path, data_dir: Path) -> tuple[str, dict]:
    """Put a saved model into the work folder's models so training can start from its networks."""
    previous = storage.read_json(folder / storage.MODEL_CARD)
    start_id = f"{previous['id']}-start"
    target = storage.models_root(data_dir) / start_id
    if not target.exists():
        shutil.copytree(folder, target)
    return start_id, previous


def kid_against_source(run_dir: Path, data_dir: Path, dataset_id: str, feature_network, num_images: int) -> dict:
    """KID of the run's EMA generator against a fixed random subset of the source images."""
    import numpy as np

    from models.data import load_training_images
    from models.metrics.evaluator import KIDEvaluator
    from models.loading import load_network

    real, _ = load_training_images(data_dir, dataset_id)
    count = min(num_images, len(real))
    subset = real[np.sort(np.random.default_rng(0).choice(len(real), count, replace=False))]
    generator = load_network(run_dir / storage.GENERATOR_EMA_FILE)
    evaluator = KIDEvaluator(feature_network, subset, reference=f"source set ({count} of {len(real)} images)",
                             num_samples=count)
    return evaluator(generator)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, nargs="+", required=True)
    parser.add_argument("--continue-from", type=Path, default=None, help="a saved model folder to train further")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("var/pretrain"))
    parser.add_argument("--model-id", default=None)
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--family", default="gan", choices=["gan", "vae"])
    parser.add_argument("--architecture", default="lite")
    parser.add_argument("--base-channels", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--r1-gamma", type=float, default=0.1)
    parser.add_argument("--discriminator", default="standard", choices=["standard", "projected"])
    parser.add_argument("--projected-resolution", type=int, default=128)
    parser.add_argument("--projected-pixel", action="store_true",
                        help="projected D only: a pixel-space D judges beside the features (with --continue-from: "
                             "the start model's own D)")
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--licence", default="see ATTRIBUTION.md")
    parser.add_argument("--feature-network", default=None, help="KID network (default: the shipped EffLite0)")
    parser.add_argument("--kid-images", type=int, default=1000, help="real and generated images for KID; 0: skip")
    parser.add_argument("--score-only", action="store_true",
                        help="train nothing: record the KID of the model already in --out against the --zip set")
    return parser.parse_args()


def train_stage(args: argparse.Namespace, dataset_id: str) -> tuple[dict, Path]:
    """Train (or resume) the run in --work until --steps or --minutes; its card and run folder."""
    from models.training import train

    model_id = args.model_id or args.out.name
    start_id, previous = copy_as_start(args.continue_from, args.work) if args.continue_from else (None, None)
    config = TrainConfig(
        dataset_id=dataset_id, base_model_id=start_id, steps=args.steps, batch_size=args.batch_size,
        learning_rate=args.learning_rate, family=args.family, architecture=args.architecture,
        base_channels=args.base_channels, augment="diffaugment", r1_gamma=args.r1_gamma,
        discriminator=args.discriminator, projected_resolution=args.projected_resolution,
        projected_pixel=args.projected_pixel,
        precision=args.precision, seed=args.seed, preset="none",  # a base's recipe is spelled out in full
        preview_every=250, checkpoint_every=250,
    )
    run_dir = args.work / "run"
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    started, cpu_started = time.monotonic(), time.process_time()
    report = lambda p: print(p, flush=True)  # noqa: E731
    size = f"{args.resolution}x{args.resolution}"
    extra = {"data": f"{source_name(args.zip)} (all images, {size})", "licence": args.licence}
    try:
        card = train(config, data_dir=args.work, run_dir=run_dir, model_id=model_id, progress_fn=report,
                     abort_fn=(lambda: time.monotonic() > deadline) if deadline else None, card_extra=extra)
    except TrainingAborted as stop:
        print(f"time budget reached: {stop}", flush=True)
        reached = stop.step
        config = config.model_copy(update={"steps": reached})
        card = train(config, data_dir=args.work, run_dir=run_dir, model_id=model_id, card_extra=extra)
    finish_card(card, run_dir, wall_seconds=time.monotonic() - started, cpu_seconds=time.process_time() - cpu_started)
    if previous is not None:
        add_previous_stages(card, previous)
    return card, run_dir


def record_kid(card: dict, folder: Path, args: argparse.Namespace, dataset_id: str) -> None:
    from models.metrics.features import DEFAULT_FEATURE_NETWORK

    card["metrics"]["kid_vs_source"] = kid_against_source(
        folder, args.work, dataset_id, args.feature_network or DEFAULT_FEATURE_NETWORK, args.kid_images)
    print(f"KID vs source: {card['metrics']['kid_vs_source']}", flush=True)
    if args.feature_network is None and SECOND_FEATURE_NETWORK.is_file():
        # A projected D reads EffLite0 features, which flatters KID-EffLite0: a second network checks it.
        card["metrics"]["kid_vs_source_second_network"] = kid_against_source(
            folder, args.work, dataset_id, SECOND_FEATURE_NETWORK, args.kid_images)
        print(f"KID vs source (second network): {card['metrics']['kid_vs_source_second_network']}", flush=True)


def main() -> None:
    args = parse_args()
    dataset_id = "pretrain-source"
    if storage.dataset_dir(args.work, dataset_id) is None:
        write_zips_as_dataset(args.zip, args.work, dataset_id, args.resolution)
    if args.score_only:
        card = storage.read_json(args.out / storage.MODEL_CARD)
        record_kid(card, args.out, args, dataset_id)
        storage.write_json_atomic(args.out / storage.MODEL_CARD, card)
        return
    card, run_dir = train_stage(args, dataset_id)
    if args.kid_images > 0:
        record_kid(card, run_dir, args, dataset_id)
    storage.write_json_atomic(run_dir / storage.MODEL_CARD, card)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES + [storage.FAMILY_FILES[args.family]]:
        shutil.copy2(run_dir / name, args.out / name)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
