"""Loaded generators, each with its micro-batcher, kept in an LRU bounded by memory; TF work runs in threads."""
from __future__ import annotations

import asyncio
import gc
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np

from app.batching import MicroBatcher
from models import storage
from models.errors import ModelNotFoundError
from models.images import encode_png

# The files whose change means new weights: a loaded model is reloaded when their sizes or mtimes change.
_VERSION_FILES = (storage.MODEL_CARD, storage.GENERATOR_EMA_FILE, storage.GENERATOR_FILE)


def model_version(model_dir: Path) -> str:
    """A cheap fingerprint of a run folder (sizes and mtimes, no reading) that tells when to reload.

    Only for noticing changes on this machine: ETags use the generator's content fingerprint instead,
    which every replica computes alike.
    """
    parts = [model_dir.name]
    for name in _VERSION_FILES:
        path = model_dir / name
        if path.is_file():
            stat = path.stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _load(model_id: str, data_dir: Path) -> Any:
    from models.loading import load_generator  # imports TensorFlow: only when the first image is asked for

    return load_generator(model_id, data_dir)


def _freeze_heap(collect: bool) -> None:
    """Move every live object to the garbage collector's permanent generation (after a model load).

    TensorFlow and a loaded model leave ~300k long-lived Python objects; each full collection walks
    them all, 0.1-0.2 s with the GIL held, during which no request moves (it was the p99 of the serving
    benchmark). Frozen, they are never walked again. `collect` (a model was dropped since the last
    freeze) unfreezes and collects first, so the dropped model's reference cycles are reclaimed.
    """
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class Row:
    """One image to make: from a seed's latent or a given latent, truncated by psi, as PNG or pixels."""

    seed: int | None = None
    latent: np.ndarray | None = None
    truncation: float = 1.0
    png: bool = False


def generate_rows(generator: Any, rows: list[Row]) -> list[np.ndarray]:
    """One batched generator call for all rows (runs in a worker thread): uint8 HxWx3 each."""
    latents = np.stack([generator.latent_for_seed(r.seed) if r.latent is None else r.latent for r in rows])
    truncation = np.array([r.truncation for r in rows], np.float32)
    return list(generator.generate_from_latents(latents, truncation))


def encode_rows(rows: list[Row], images: list[np.ndarray]) -> list[Any]:
    """PNG bytes for the rows that asked for them, pixels for the others (runs in a worker thread)."""
    return [encode_png(image) if row.png else image for image, row in zip(images, rows, strict=True)]


def new_batcher(
    generator: Any, max_batch: int, max_wait_s: float, on_batch: Callable[[int, float], None] | None = None
) -> MicroBatcher:
    """The generator's micro-batcher: calls in whole fixed-size batches, PNG encoding overlapping the next call."""
    return MicroBatcher(
        partial(generate_rows, generator), max_batch, max_wait_s, on_batch,
        granule=getattr(generator, "batch_size", None), finish=encode_rows,
    )


@dataclass
class LoadedModel:
    model_id: str
    generator: Any  # models.loading.SeededGenerator
    fingerprint: str  # content hash of the weights: ETags and image cache keys
    disk_version: str  # model_version() when loaded
    batcher: MicroBatcher
    memory_bytes: int
    checked_at: float  # time.monotonic() of the last look at the files


class GeneratorCache:
    """model id -> LoadedModel; least recently used evicted beyond `max_models` or `memory_budget` bytes.

    A model's files are looked at (a few stat calls) at most every `check_interval_s`; new weights are
    loaded and the old generator dropped. Concurrent requests for a model that is not loaded load it once.
    """

    def __init__(
        self,
        data_dir: Path,
        max_models: int = 4,
        memory_budget: int = 1 << 30,
        check_interval_s: float = 0.0,
        batch_max_size: int = 32,
        batch_max_wait_s: float = 0.003,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.max_models = max_models
        self.memory_budget = memory_budget
        self.check_interval_s = check_interval_s
        self.batch_max_size = batch_max_size
        self.batch_max_wait_s = batch_max_wait_s
        self._on_batch = on_batch
        self._entries: OrderedDict[str, LoadedModel] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}  # one per model id: concurrent requests load once
        self._dropped = False  # a model left the cache since the last heap freeze (see _freeze_heap)

    async def get(self, model_id: str) -> LoadedModel:
        """The loaded model; raises models.errors.ModelNotFoundError when it has no run folder."""
        if (entry := self.peek(model_id)) is not None:
            return entry
        now = time.monotonic()
        folder = storage.model_dir(self.data_dir, model_id)  # a few stat calls: fine on the event loop
        if folder is None:
            self.evict(model_id)
            raise ModelNotFoundError(model_id)
        version = model_version(folder)
        if (entry := self._hit(model_id, version, now)) is not None:
            return entry
        lock = self._locks.setdefault(model_id, asyncio.Lock())
        async with lock:
            if (entry := self._hit(model_id, version, now)) is not None:
                return entry  # another request loaded it while we waited
            generator = await anyio.to_thread.run_sync(_load, model_id, self.data_dir)
            batcher = new_batcher(generator, self.batch_max_size, self.batch_max_wait_s, self._on_batch)
            entry = LoadedModel(
                model_id, generator, generator.fingerprint, version, batcher,
                int(getattr(generator, "memory_bytes", 0)), time.monotonic(),
            )
            if self._entries.pop(model_id, None) is not None:
                self._dropped = True  # older weights of this model
            self._entries[model_id] = entry
            self._shrink()
            dropped, self._dropped = self._dropped, False
            await anyio.to_thread.run_sync(_freeze_heap, dropped)
            return entry

    def peek(self, model_id: str) -> LoadedModel | None:
        """The loaded model if its files were looked at less than check_interval_s ago, else None."""
        entry = self._entries.get(model_id)
        if entry is None or time.monotonic() - entry.checked_at >= self.check_interval_s:
            return None
        self._entries.move_to_end(model_id)
        return entry

    def _hit(self, model_id: str, version: str, now: float) -> LoadedModel | None:
        entry = self._entries.get(model_id)
        if entry is None or entry.disk_version != version:
            return None
        entry.checked_at = now
        self._entries.move_to_end(model_id)
        return entry

    def _shrink(self) -> None:
        """Evict least recently used models; the newest always stays, even alone over the budget."""
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_models or self.memory_bytes > self.memory_budget
        ):
            self._entries.popitem(last=False)  # batches in flight keep their generator until done
            self._dropped = True

    @property
    def memory_bytes(self) -> int:
        return sum(entry.memory_bytes for entry in self._entries.values())

    def evict(self, model_id: str) -> None:
        if self._entries.pop(model_id, None) is not None:
            self._dropped = True
        self._locks.pop(model_id, None)

    def __len__(self) -> int:
        return len(self._entries)
