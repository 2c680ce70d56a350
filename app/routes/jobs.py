"""Training jobs: checked here (models.preflight), queued through jobs.queue, run by the worker process.

Besides the job itself: its event log (JSON, or Server-Sent Events with ?stream=true), the latest
preview grid while it trains, and cancel.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import HttpUrl

from app.deps import DataDirDep, ModelOwnersDep, QueueDep, SettingsDep
from app.errors import ApiError, not_found
from app.etags import content_etag, etag_matches
from app.schemas import error_responses
from app.security import quotas
from app.security.access import ModelOwners, PrincipalDep, dataset_owner
from app.security.principal import Principal
from app.security.rate_limits import Action
from jobs import webhook_http
from jobs.events import JobEvent
from jobs.queue import JobQueue
from jobs.views import JobView
from models.config import TrainConfig
from models.preflight import PreflightError, preflight

router = APIRouter(prefix="/jobs", tags=["jobs"])

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
        """The training config, knowing which fields the client set (models.preflight needs that)."""
        return TrainConfig.model_validate(self.model_dump(exclude=WEBHOOK_FIELDS, exclude_unset=True))


def checked_config(config: TrainConfig, data_dir: Path) -> TrainConfig:
    """Refuse now what the trainer would refuse later (the same check): a 422 instead of a failed job."""
    try:
        return preflight(config, data_dir)
    except PreflightError as e:
        raise ApiError(422, e.code, e.message, e.details) from e


def check_inputs_visible(config: TrainConfig, principal: Principal, data_dir: Path, owners: ModelOwners) -> None:
    """Someone else's dataset or model is refused like one that does not exist (the preflight's words)."""
    if not principal.owns(dataset_owner(data_dir, config.dataset_id)):
        raise ApiError(422, "unknown_dataset", f"Dataset {config.dataset_id!r} does not exist (was it deleted?).")
    if config.base_model_id is not None and not owners.can_read(principal, config.base_model_id):
        raise ApiError(422, "unknown_base_model", f"Base model {config.base_model_id!r} does not exist.")


@router.post("", status_code=202, response_model=JobView, responses=error_responses(429))
def create_job(body: JobRequest, request: Request, response: Response, queue: QueueDep, data_dir: DataDirDep,
               settings: SettingsDep, principal: PrincipalDep, owners: ModelOwnersDep) -> JobView:
    """Queue a fine-tune of `base_model_id` (or training from scratch when it is null) on a dataset.
    User keys: RATE_LIMIT_JOBS, the job ceilings and quotas and MAX_STORED_BYTES_PER_KEY apply."""
    request.app.state.rate_limits.hit(principal, Action.JOB)
    check_inputs_visible(body, principal, data_dir, owners)
    config = checked_config(body.config(), data_dir)
    quotas.check_job(principal, config, queue, settings)
    quotas.check_storage(principal, data_dir, settings)
    if body.webhook_url is not None and not settings.webhook_secret:
        raise ApiError(422, "webhooks_disabled", "This server has no WEBHOOK_SECRET to sign webhooks with; "
                                                 "leave out webhook_url or ask its operator to set one.")
    url = str(body.webhook_url) if body.webhook_url is not None else None
    problem = url and webhook_http.url_problem(url, settings.webhook_allowed_hosts)
    if problem:
        raise ApiError(422, "webhook_url_not_allowed", f"{problem}.")
    job = queue.enqueue(config, webhook_url=url, webhook_progress=body.webhook_progress, owner=principal.id)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


@router.get("", response_model=list[JobView])
def list_jobs(queue: QueueDep, principal: PrincipalDep) -> list[JobView]:
    """The remembered jobs this key may see (its own; an admin's: all), newest first."""
    return [job for job in queue.list() if principal.owns(job.owner)]


def require_job(queue: JobQueue, job_id: str, principal: Principal) -> None:
    """404 for a job that does not exist or is someone else's (the same answer)."""
    record = queue.record(job_id)
    if record is None or not principal.owns(record.owner):
        raise not_found("job", job_id)


@router.get("/{job_id}", response_model=JobView)
def get_job(job_id: str, queue: QueueDep, principal: PrincipalDep) -> JobView:
    require_job(queue, job_id, principal)
    job = queue.get(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


@router.post("/{job_id}/cancel", response_model=JobView)
def cancel_job(job_id: str, queue: QueueDep, principal: PrincipalDep) -> JobView:
    """Cancel a waiting job now, or stop a running one at its next step (its checkpoint is kept).
    A finished job is returned unchanged."""
    require_job(queue, job_id, principal)
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
    principal: PrincipalDep,
    stream: bool = False,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> list[JobEvent] | StreamingResponse:
    """The job's event log, oldest first (only events with seq > `after`).

    stream=true: Server-Sent Events instead; each log event as `id: <seq>` / `event: <type>`, and an
    `event: progress` with the job JSON whenever it changes; the stream ends after the job's final
    event. A reconnecting EventSource sends Last-Event-ID and gets only what it missed.
    """
    await run_in_threadpool(require_job, queue, job_id, principal)
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
    last_view: JobView | None = None
    last_sent = time.monotonic()
    while True:
        view = await asyncio.to_thread(queue.get, job_id)
        # Read after the view: the final event is written before the record turns terminal.
        events = await asyncio.to_thread(queue.events, job_id, after) or []
        chunks = []
        for event in events:
            after = event.seq
            data = event.model_dump_json(exclude_unset=True)  # the log line as written
            chunks.append(f"id: {after}\nevent: {event.type}\ndata: {data}\n\n")
        if view is not None and view != last_view:
            last_view = view
            chunks.append(f"event: progress\ndata: {view.model_dump_json()}\n\n")
        if chunks:
            last_sent = time.monotonic()
            yield "".join(chunks)
        elif time.monotonic() - last_sent >= STREAM_KEEPALIVE_S:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        if view is None or view.status.is_terminal:
            return  # finished (or forgotten meanwhile)
        if await request.is_disconnected():
            return
        await asyncio.sleep(STREAM_POLL_S)


@router.get("/{job_id}/preview.png", response_class=Response, responses=_PNG)
def get_preview(job_id: str, queue: QueueDep, principal: PrincipalDep,
                if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The latest sample grid of the job's EMA generator on fixed seeds (the same 16 every time),
    written every `preview_every` steps; 404 until the first one."""
    require_job(queue, job_id, principal)
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
    etag = content_etag(data)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # it changes as training goes on: revalidate
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/png", headers=headers)
