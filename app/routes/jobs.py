"""Training jobs: checked here, queued through worker.queue, run by the worker process."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

from app.datasets import store
from app.deps import DataDirDep, QueueDep
from app.errors import ApiError, not_found
from app.schemas import JobView
from models import storage
from models.config import TrainConfig

router = APIRouter(prefix="/jobs", tags=["jobs"])

MIN_TRAIN_IMAGES = 2  # the trainer raises TrainingError below this


def check_config(config: TrainConfig, data_dir: Path) -> None:
    """Refuse now what the trainer would refuse later: the client gets a 422 instead of a failed job."""
    dataset = store.read_dataset(data_dir, config.dataset_id)
    if dataset is None:
        raise ApiError(422, "unknown_dataset", f"No dataset with id {config.dataset_id!r}.")
    if dataset["num_train"] < MIN_TRAIN_IMAGES:
        message = (
            f"Dataset {config.dataset_id!r} has {dataset['num_train']} training image(s); "
            f"training needs at least {MIN_TRAIN_IMAGES}."
        )
        raise ApiError(422, "too_few_images", message)
    if config.base_model_id is None:
        return
    base_dir = storage.model_dir(data_dir, config.base_model_id)
    if base_dir is None:
        raise ApiError(422, "unknown_base_model", f"No model with id {config.base_model_id!r}.")
    base_resolution = storage.read_json(base_dir / storage.MODEL_CARD).get("resolution")
    if base_resolution != dataset["resolution"]:
        message = (
            f"Dataset {config.dataset_id!r} is {dataset['resolution']}x{dataset['resolution']} but base model "
            f"{config.base_model_id!r} makes {base_resolution}x{base_resolution} images; upload the dataset again "
            f"with resolution={base_resolution} or choose a base model of resolution {dataset['resolution']}."
        )
        details = {"dataset_resolution": dataset["resolution"], "base_model_resolution": base_resolution}
        raise ApiError(422, "resolution_mismatch", message, details)


@router.post("", status_code=202, response_model=JobView)
def create_job(config: TrainConfig, response: Response, queue: QueueDep, data_dir: DataDirDep) -> dict:
    """Queue a fine-tune of `base_model_id` (or training from scratch when it is null) on a dataset."""
    check_config(config, data_dir)
    job = queue.enqueue(config)
    response.headers["Location"] = f"/v1/jobs/{job['id']}"
    return job


@router.get("", response_model=list[JobView])
def list_jobs(queue: QueueDep) -> list[dict]:
    """All remembered jobs, newest first."""
    return queue.list()


@router.get("/{job_id}", response_model=JobView)
def get_job(job_id: str, queue: QueueDep) -> dict:
    job = queue.get(job_id) if storage.is_valid_id(job_id) else None
    if job is None:
        raise not_found("job", job_id)
    return job


@router.post("/{job_id}/cancel", response_model=JobView)
def cancel_job(job_id: str, queue: QueueDep) -> dict:
    """Cancel a queued or running job; a finished job is returned unchanged."""
    job = queue.cancel(job_id) if storage.is_valid_id(job_id) else None
    if job is None:
        raise not_found("job", job_id)
    return job
