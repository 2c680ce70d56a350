"""Entry point of a training run: the hooks-driven loop that worker/ and scripts call.

train(config, ...) builds the GAN or VAE (from scratch or from a base model), runs `steps` training
steps with keras' fit, reporting through progress_fn and stopping when abort_fn says so, and
writes a self-describing run folder. It resumes from run_dir/checkpoints when one is there.
"""
from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import tensorflow as tf

from models import storage
from models.callbacks import RunHooks, write_sample_grid
from models.checkpoints import restore_checkpoint
from models.config import TrainConfig
from models.data import load_training_images, training_pipeline
from models.preflight import preflight
from models.setup import build_training_model

SAMPLE_SEEDS = list(range(64))


def train(
    config: TrainConfig,
    *,
    data_dir: Path,
    run_dir: Path,
    model_id: str,
    job_id: str | None = None,
    progress_fn: Callable[[dict], None] | None = None,
    abort_fn: Callable[[], bool] | None = None,
    card_extra: dict | None = None,
    feature_network: str | Path | None = None,
    evaluator: Callable[..., dict] | None = None,
) -> dict:
    """Train and write the run folder; returns the model card.

    feature_network: a Keras feature-model file (or "inception_v3") for KID validation every
    config.eval_every steps and at the end (only when eval_every is set); None skips validation.
    evaluator: instead of feature_network, any callable (EMA generator network) -> {"kid_mean", ...}.
    """
    started, cpu_started = time.monotonic(), time.process_time()
    # Refuses what cannot train (in the API's words); a fine-tune's config gets what it inherits.
    config = preflight(config, data_dir)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    storage.write_json_atomic(run_dir / storage.CONFIG_FILE, config.model_dump(mode="json"))
    images, dataset_meta = load_training_images(data_dir, config.dataset_id)
    model, base_card = build_training_model(config, data_dir, dataset_meta.resolution)
    if evaluator is None and feature_network is not None and config.eval_every:
        evaluator = _evaluator(feature_network, data_dir, config, images)
    start_step = restore_checkpoint(model, run_dir / "checkpoints") or 0
    hooks = RunHooks(
        run_dir=run_dir, start_step=start_step, total_steps=config.steps, batch_size=config.batch_size,
        preview_every=config.preview_every, checkpoint_every=config.checkpoint_every,
        progress_fn=progress_fn, abort_fn=abort_fn,
        evaluator=evaluator, eval_every=config.eval_every, keep_best=config.keep_best,
    )
    if start_step < config.steps:
        pipeline = training_pipeline(images, config.batch_size, seed=config.seed, start_step=start_step)
        model.fit(pipeline, epochs=1, steps_per_epoch=config.steps - start_step, callbacks=[hooks], verbose=0)
    served_metrics = hooks.restore_best_if_better(hooks.evaluate()) if evaluator else None
    hooks.report()
    wall_seconds = time.monotonic() - started
    card = _model_card(config, model_id, job_id, dataset_meta, base_card, hooks, wall_seconds, card_extra)
    card["card"]["cpu_seconds"] = round(time.process_time() - cpu_started, 1)  # all threads of this process
    if served_metrics is not None:
        card["metrics"].update(served_metrics, served_step=served_metrics["step"], final=hooks.latest_metrics)
        if config.discriminator == "projected" and served_metrics.get("feature_network") == "EffLite0":
            # D was trained on the same features KID measures: KID flatters this model.
            card["metrics"]["kid_network_shared_with_discriminator"] = True
    save_run(model, run_dir, card)
    return card


def _evaluator(feature_network, data_dir, config, train_images):
    from models import datasets
    from models.data import load_split
    from models.metrics.evaluator import KIDEvaluator, reference_images

    folder, meta = datasets.find(data_dir, config.dataset_id)
    real, reference = reference_images(train_images, load_split(folder, meta, "val"))
    return KIDEvaluator(feature_network, real, reference, num_samples=config.eval_images,
                        cache_dir=Path(data_dir) / "cache" / "features")


def save_run(model, run_dir: Path, card: dict) -> None:
    model.save_networks(run_dir)
    write_sample_grid(model.ema_generator, run_dir / storage.SAMPLES_FILE, SAMPLE_SEEDS, columns=8)
    storage.write_json_atomic(run_dir / storage.MODEL_CARD, card)


def _hardware() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU" if gpus else f"CPU ({platform.processor() or platform.machine()}, {_cpu_count()} cores)"


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _model_card(config, model_id, job_id, dataset_meta, base_card, hooks, wall_seconds, extra) -> dict:
    from_base = base_card is not None
    family = base_card.get("family", "gan") if from_base else config.family
    return {
        "id": model_id,
        "family": family,
        "architecture": base_card["architecture"] if from_base else ("lite" if family == "vae" else config.architecture),
        "resolution": dataset_meta.resolution,
        "latent_dim": base_card["latent_dim"] if from_base else config.latent_dim,
        "discriminator": config.discriminator if family == "gan" else None,
        **({"projected_resolution": config.projected_resolution, "projected_pixel": config.projected_pixel}
           if family == "gan" and config.discriminator == "projected" else {}),
        "parent_id": config.base_model_id,
        "dataset_id": config.dataset_id,
        "job_id": job_id,
        "created_at": datetime.now(timezone.utc).isoformat(),
        "metrics": {"final_losses": hooks.losses},
        "card": {
            "description": (
                f"{family.upper()} fine-tuned from '{config.base_model_id}'" if from_base
                else f"{family.upper()} trained from scratch"
            ) + f" on dataset '{dataset_meta.name or config.dataset_id}' ({dataset_meta.num_train} images)",
            "method": config.method, "augment": config.augment, "ema": config.ema, "r1_gamma": config.r1_gamma,
            "steps": config.steps, "batch_size": config.batch_size,
            "wall_seconds": round(wall_seconds, 1), "hardware": _hardware(),
            "tensorflow": tf.__version__,
            **(extra or {}),
        },
    }
