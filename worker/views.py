"""The job view the API returns (and webhooks send): a job record (worker.records) as users see it."""
from __future__ import annotations

from typing import Any

from worker.records import ACTIVE, FAILED, QUEUED, RUNNING, SUCCEEDED


def job_view(record: dict, *, queue_position: int | None = None) -> dict[str, Any]:
    """queue_position: 1 = next to start; only for jobs waiting on the queue (queued, or running and
    waiting to resume after its worker was lost)."""
    status = record["status"]
    webhook = record.get("webhook") or {}
    return {
        "id": record["id"],
        "status": status,
        "config": record.get("config"),
        "progress": record.get("progress"),
        "queue_position": queue_position if status in ACTIVE else None,
        "model_id": record.get("model_id") if status == SUCCEEDED else None,
        "error": record.get("error") if status == FAILED else None,
        "cancel_requested": bool(record.get("cancel_requested")) and status in ACTIVE,  # "canceling…"
        "resuming": bool(record.get("pending_resume")) and status == RUNNING,  # lost, waiting for a worker
        "attempts": record.get("attempt", 0),  # times a worker started (or resumed) it
        "webhook_url": webhook.get("url"),
        "created_at": record.get("created_at"),
        "started_at": record.get("started_at"),
        "updated_at": record.get("updated_at"),
        "finished_at": record.get("finished_at"),
    }


def is_waiting(record: dict) -> bool:
    """On the queue, waiting for a worker: queued, or lost and waiting to resume."""
    return record["status"] == QUEUED or (record["status"] == RUNNING and bool(record.get("pending_resume")))
