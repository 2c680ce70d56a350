"""Training jobs: checked here, queued through worker.queue, run by the worker process.

Besides the job itself: its event log (JSON, or Server-Sent Events with ?stream=true), the latest
preview grid while it trains, and cancel.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import HttpUrl

from app.datasets import store
from app.deps import DataDirDep, QueueDep, SettingsDep
from app.errors import ApiError, not_found
from app.schemas import JobEvent, JobView
from models import storage
from models.config import TrainConfig
from worker.queue import TERMINAL, JobQueue

router = APIRouter(prefix="/jobs", tags=["jobs"])

MIN_TRAIN_IMAGES = 2  # the trainer raises TrainingError below this
STREAM_POLL_S = 0.5  # how often an event stream looks for new events and progress
STREAM_KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing a quiet stream
_PNG = {200: {"content": {"image/png": {}}}}
WEBHOOK_FIELDS = {"webhook_url", "webhook_progress"}


class JobRequest(TrainConfig):
    """The training config plus how to hear about the job; the webhook is kept in the job record,
    not in the config (which is saved with the model and must describe training only)."""

    webhook_url: HttpUrl | None = None  # POSTed the job JSON on succeeded / failed / canceled, signed
    webhook_progress: bool = False  # also on progress, at most every WEBHOOK_PROGRESS_INTERVAL_S

    def config(self) -> TrainConfig:
        return TrainConfig.model_validate(self.model_dump(exclude=WEBHOOK_FIELDS))


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
def create_job(body: JobRequest, response: Response, queue: QueueDep, data_dir: DataDirDep,
               settings: SettingsDep) -> dict:
    """Queue a fine-tune of `base_model_id` (or training from scratch when it is null) on a dataset."""
    config = body.config()
    check_config(config, data_dir)
    if body.webhook_url is not None and not settings.webhook_secret:
        raise ApiError(422, "webhooks_disabled", "This server has no WEBHOOK_SECRET to sign webhooks with; "
                                                 "leave out webhook_url or ask its operator to set one.")
    url = str(body.webhook_url) if body.webhook_url is not None else None
    job = queue.enqueue(config, webhook_url=url, webhook_progress=body.webhook_progress)
    response.headers["Location"] = f"/v1/jobs/{job['id']}"
    return job


@router.get("", response_model=list[JobView])
def list_jobs(queue: QueueDep) -> list[dict]:
    """All remembered jobs, newest first."""
    return queue.list()


@router.get("/{job_id}", response_model=JobView)
def get_job(job_id: str, queue: QueueDep) -> dict:
    job = queue.get(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


@router.post("/{job_id}/cancel", response_model=JobView)
def cancel_job(job_id: str, queue: QueueDep) -> dict:
    """Cancel a waiting job now, or stop a running one at its next step (its checkpoint is kept).
    A finished job is returned unchanged."""
    job = queue.cancel(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


@router.get("/{job_id}/events", response_model=list[JobEvent],
            responses={200: {"content": {"text/event-stream": {}}}})
async def get_events(
    job_id: str,
    request: Request,
    queue: QueueDep,
    stream: bool = False,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> list[dict] | StreamingResponse:
    """The job's event log, oldest first (only events with seq > `after`).

    stream=true: Server-Sent Events instead; each log event as `id: <seq>` / `event: <type>`, and an
    `event: progress` with the job JSON whenever it changes; the stream ends after the job's final
    event. A reconnecting EventSource sends Last-Event-ID and gets only what it missed.
    """
    if await run_in_threadpool(queue.record, job_id) is None:
        raise not_found("job", job_id)
    if not stream:
        return await run_in_threadpool(queue.events, job_id, after)
    if last_event_id and last_event_id.strip().isdigit():
        after = int(last_event_id)
    return StreamingResponse(
        _event_stream(queue, job_id, after, request), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},  # nginx: don't buffer the stream
    )


async def _event_stream(queue: JobQueue, job_id: str, after: int, request: Request) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    last_view: dict | None = None
    last_sent = time.monotonic()
    while True:
        view = await asyncio.to_thread(queue.get, job_id)
        # Read after the view: the final event is written before the record turns terminal.
        events = await asyncio.to_thread(queue.events, job_id, after)
        chunks = []
        for event in events:
            after = event["seq"]
            chunks.append(f"id: {after}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n")
        if view is not None and view != last_view:
            last_view = view
            chunks.append(f"event: progress\ndata: {json.dumps(view)}\n\n")
        if chunks:
            last_sent = time.monotonic()
            yield "".join(chunks)
        elif time.monotonic() - last_sent >= STREAM_KEEPALIVE_S:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        if view is None or view["status"] in TERMINAL:
            return  # finished (or forgotten meanwhile)
        if await request.is_disconnected():
            return
        await asyncio.sleep(STREAM_POLL_S)


@router.get("/{job_id}/preview.png", response_class=Response, responses=_PNG)
def get_preview(job_id: str, queue: QueueDep, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The latest sample grid of the job's EMA generator on fixed seeds (the same 16 every time),
    written every `preview_every` steps; 404 until the first one."""
    if queue.record(job_id) is None:
        raise not_found("job", job_id)
    data = None
    for _ in range(2):  # the run folder may be published (moved) between finding and reading the file
        path = queue.preview_path(job_id)
        try:
            data = path.read_bytes() if path is not None else None
            break
        except FileNotFoundError:
            continue
    if data is None:
        raise ApiError(404, "preview_not_found", f"Job {job_id!r} has no preview yet: the first one is written "
                                                 "after `preview_every` training steps.")
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # it changes as training goes on: revalidate
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/png", headers=headers)
