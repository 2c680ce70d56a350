"""The Keras callback that connects a training run to its caller's hooks and its run folder."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from models import atomic, storage
from models.checkpoints import save_checkpoint
from models.errors import TrainingAborted, TrainingError
from models.images import encode_png, make_grid, to_uint8
from models.latents import latents_for_seeds
from models.progress import Losses, TrainingProgress

PREVIEW_SEEDS = list(range(16))  # fixed, so a user watches the same samples change
PROGRESS_INTERVAL_S = 1.0
BEST_WEIGHTS = "generator_ema.weights.h5"
BEST_METRICS = "metrics.json"


def save_weights_atomic(model, path: Path) -> None:
    with atomic.replacing(path) as tmp:  # the temp name keeps the .weights.h5 suffix Keras wants
        model.save_weights(tmp)


class RunHooks(keras.callbacks.Callback):
    """Progress reports, cooperative abort, NaN guard, previews, checkpoints and metrics.jsonl."""

    def __init__(
        self, *, run_dir: Path, start_step: int, total_steps: int, batch_size: int,
        preview_every: int, checkpoint_every: int,
        progress_fn: Callable[[TrainingProgress], None] | None, abort_fn: Callable[[], bool] | None,
        evaluator: Callable | None = None, eval_every: int | None = None, keep_best: bool = True,
    ):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.step = start_step
        self.total_steps = total_steps
        self.batch_size = batch_size
        self.preview_every = preview_every
        self.checkpoint_every = checkpoint_every
        self.progress_fn = progress_fn
        self.abort_fn = abort_fn
        self.losses = {"g": None, "d": None}
        self.evaluator = evaluator
        self.eval_every = eval_every
        self.keep_best = keep_best
        self.latest_metrics: dict | None = None
        self.best: dict | None = None  # the evaluation with the lowest KID, with its step
        if keep_best and (self.run_dir / "best" / BEST_METRICS).is_file():  # a resumed run
            self.best = storage.read_json(self.run_dir / "best" / BEST_METRICS)
        self.augment_p: float | None = None
        self.checkpoint_step: int | None = start_step or None  # of run_dir/checkpoints/latest.npz
        self.preview_step: int | None = None  # of run_dir/preview.png
        if start_step:
            self._rewind_metrics(start_step)
        self._started = time.monotonic()
        self._start_step = start_step
        self._last_report = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        logs = logs or {}
        self.losses = {"g": float(logs.get("g_loss", math.nan)), "d": float(logs.get("d_loss", math.nan))}
        if not all(math.isfinite(v) for v in self.losses.values()):
            raise TrainingError(
                f"training diverged at step {self.step} (loss is not a number); try a lower learning_rate"
            )
        if "augment_p" in logs:
            self.augment_p = float(logs["augment_p"])
        if self.evaluator is not None and self.eval_every and self.step % self.eval_every == 0 \
                and self.step < self.total_steps:
            self.evaluate()
        if self.step % 10 == 0 or self.step == self.total_steps:
            self._append_metrics({"step": self.step, "g_loss": self.losses["g"], "d_loss": self.losses["d"],
                                  "d_real": float(logs.get("d_real", math.nan)),
                                  "d_fake": float(logs.get("d_fake", math.nan)), "augment_p": self.augment_p,
                                  **({"cdc": float(logs["cdc"])} if "cdc" in logs else {})})
        if self.step % self.preview_every == 0:
            self.write_preview()
        # Last: a checkpoint at step s implies every row up to s is logged (a resumed run logs the rest).
        saved = self.step % self.checkpoint_every == 0 and self.step < self.total_steps
        if saved:
            self.save_checkpoint()
        now = time.monotonic()
        if saved or now - self._last_report >= PROGRESS_INTERVAL_S or self.step == self.total_steps:
            self._last_report = now  # a checkpoint is reported at once: the caller may log it
            self.report()
        if self.abort_fn is not None and self.abort_fn():
            if self.checkpoint_step != self.step:
                self.save_checkpoint()
            raise TrainingAborted(self.step)

    def save_checkpoint(self) -> None:
        save_checkpoint(self.model, self.run_dir / "checkpoints", self.step)
        self.checkpoint_step = self.step

    def progress(self) -> TrainingProgress:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        steps_done = self.step - self._start_step
        steps_per_second = steps_done / elapsed
        remaining = self.total_steps - self.step
        return TrainingProgress(
            step=self.step,
            total_steps=self.total_steps,
            fraction=round(self.step / self.total_steps, 6),
            images_per_second=round(steps_per_second * self.batch_size, 3),
            eta_seconds=round(remaining / steps_per_second, 1) if steps_per_second > 0 else None,
            losses=Losses(**{k: (round(v, 5) if v is not None else None) for k, v in self.losses.items()}),
            augment_p=None if self.augment_p is None else round(self.augment_p, 4),
            latest_metrics=self.latest_metrics,
            checkpoint_step=self.checkpoint_step,
            preview_step=self.preview_step,
        )

    def evaluate(self) -> dict:
        """KID of the EMA generator now; remembers (and saves) the best one."""
        metrics = {"step": self.step, **self.evaluator(self.model.ema_generator)}
        self.latest_metrics = metrics
        self._append_metrics({"event": "evaluation", **metrics})
        if self.keep_best and (self.best is None or metrics["kid_mean"] < self.best["kid_mean"]):
            self.best = metrics
            save_weights_atomic(self.model.ema_generator, self.run_dir / "best" / BEST_WEIGHTS)
            storage.write_json_atomic(self.run_dir / "best" / BEST_METRICS, metrics)
        self.report()
        return metrics

    def restore_best_if_better(self, final: dict) -> dict:
        """keep_best: put the best evaluation's EMA weights back when they beat the final ones."""
        if self.keep_best and self.best is not None and self.best["kid_mean"] < final["kid_mean"]:
            self.model.ema_generator.load_weights(self.run_dir / "best" / BEST_WEIGHTS)
            return self.best
        return final

    def report(self) -> None:
        if self.progress_fn is not None:
            self.progress_fn(self.progress())

    def write_preview(self) -> None:
        write_sample_grid(self.model.ema_generator, self.run_dir / "preview.png", PREVIEW_SEEDS, columns=4)
        self.preview_step = self.step

    def _append_metrics(self, row: dict) -> None:
        with open(self.run_dir / storage.METRICS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def _rewind_metrics(self, start_step: int) -> None:
        """A resumed run: drop rows logged after the checkpoint (they are logged again, the same),
        and report the last evaluation before it as the latest metrics."""
        path = self.run_dir / storage.METRICS_FILE
        rows = [row for row in storage.read_jsonl(path) if row.get("step", 0) <= start_step]
        evaluations = [row for row in rows if row.get("event") == "evaluation"]
        if evaluations:
            self.latest_metrics = {k: v for k, v in evaluations[-1].items() if k != "event"}
        atomic.write_text(path, "".join(json.dumps(row) + "\n" for row in rows))


def write_sample_grid(generator, path: Path, seeds, columns: int) -> None:
    latents = latents_for_seeds(seeds, generator.input_shape[-1])
    images = to_uint8(np.asarray(generator(latents, training=False)))
    atomic.write_bytes(path, encode_png(make_grid(images, columns)))  # a reader never sees half a PNG
