"""Reproduce a shipped base model: train from scratch on a zip of images with this project's code.

    python -m models.pretrain --zip ../shared/data/emoji/google64.zip \
        --out models/pretrained/emoji64-gan --steps 30000 --minutes 100

Stops at --steps or when --minutes have passed (then the run ends at the step it reached),
resumes from its checkpoints when run again with the same --work folder, and writes only what
the base needs to ship (EMA generator, discriminator, config, card, samples, metrics).
"""
from __future__ import annotations

import argparse
import io
import shutil
import time
import zipfile
from pathlib import Path

from PIL import Image

from models import storage
from models.config import TrainConfig
from models.errors import TrainingAborted

SHIPPED_FILES = [storage.CONFIG_FILE, storage.MODEL_CARD, storage.GENERATOR_EMA_FILE, storage.SAMPLES_FILE,
                 storage.METRICS_FILE]
FAMILY_FILES = {"gan": storage.DISCRIMINATOR_FILE, "vae": storage.ENCODER_FILE}


def write_zip_as_dataset(zip_path: Path, data_dir: Path, dataset_id: str, resolution: int) -> None:
    """Store every image of the zip, in name order, as the training split of a dataset."""
    folder = storage.datasets_root(data_dir) / dataset_id
    (folder / "train").mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(zip_path) as archive:
        for index, member in enumerate(sorted(n for n in archive.namelist() if n.lower().endswith(".png"))):
            with Image.open(io.BytesIO(archive.read(member))) as image:
                image = image.convert("RGB").resize((resolution, resolution), Image.LANCZOS)
                names.append(f"{index:05d}.png")
                image.save(folder / "train" / names[-1])
    storage.write_json_atomic(folder / storage.DATASET_META, {
        "id": dataset_id, "name": zip_path.name, "resolution": resolution, "num_images": len(names),
        "num_train": len(names), "num_val": 0, "train": names, "val": [], "rejected": [], "created_at": None,
    })


def finish_card(card: dict, run_dir: Path, wall_seconds: float) -> None:
    """The card of the whole run: total wall time, and the last logged losses (a run that stopped on
    its time budget is saved by a second, zero-step call whose own figures would say nothing)."""
    card["card"]["wall_seconds"] = round(wall_seconds, 1)
    rows = [r for r in storage.read_jsonl(run_dir / storage.METRICS_FILE) if "g_loss" in r]
    if rows:
        card["metrics"]["final_losses"] = {"g": rows[-1]["g_loss"], "d": rows[-1]["d_loss"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, required=True)
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
    parser.add_argument("--licence", default="see ATTRIBUTION.md")
    args = parser.parse_args()

    from models.training import train

    model_id = args.model_id or args.out.name
    dataset_id = "pretrain-source"
    if storage.dataset_dir(args.work, dataset_id) is None:
        write_zip_as_dataset(args.zip, args.work, dataset_id, args.resolution)
    config = TrainConfig(
        dataset_id=dataset_id, steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
        family=args.family, architecture=args.architecture, base_channels=args.base_channels,
        augment="diffaugment", r1_gamma=args.r1_gamma,
        preview_every=250, checkpoint_every=250,
    )
    run_dir = args.work / "run"
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    started = time.monotonic()
    report = lambda p: print(p, flush=True)  # noqa: E731
    extra = {"data": f"{args.zip.name} (all images, {args.resolution}x{args.resolution})", "licence": args.licence}
    try:
        card = train(config, data_dir=args.work, run_dir=run_dir, model_id=model_id, progress_fn=report,
                     abort_fn=(lambda: time.monotonic() > deadline) if deadline else None, card_extra=extra)
    except TrainingAborted as stop:
        print(f"time budget reached: {stop}", flush=True)
        reached = int(str(stop).rsplit(" ", 1)[-1])
        config = config.model_copy(update={"steps": reached})
        card = train(config, data_dir=args.work, run_dir=run_dir, model_id=model_id, card_extra=extra)
    finish_card(card, run_dir, wall_seconds=time.monotonic() - started)
    storage.write_json_atomic(run_dir / storage.MODEL_CARD, card)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES + [FAMILY_FILES[args.family]]:
        shutil.copy2(run_dir / name, args.out / name)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
