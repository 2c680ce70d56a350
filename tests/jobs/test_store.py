"""Job records on disk: the typed record, the status machine, the event log, crash leftovers, concurrent writers."""
from __future__ import annotations

import multiprocessing

import pytest

from jobs.record import JobRecord
from jobs.status import InvalidTransition
from jobs.store import EVENTS_FILE, RECORD_FILE, JobStore


def _new(store: JobStore, job_id: str = "a" * 32, queue: str = "q") -> JobRecord:
    return store.create(JobRecord(id=job_id, queue=queue, config={}), message="queued: test")


def test_create_read_list_and_events(data_dir):
    store = JobStore(data_dir)
    first = _new(store, "a" * 32)
    _new(store, "b" * 32, queue="other")

    assert first.status == "queued" and first.created_at <= first.updated_at
    assert store.read("a" * 32) == first
    assert [r.id for r in store.list("q")] == ["a" * 32]
    assert {r.id for r in store.list()} == {"a" * 32, "b" * 32}
    assert [(e.seq, e.type) for e in store.events("a" * 32)] == [(1, "queued")]
    assert store.read("../etc") is None and store.read("c" * 32) is None


def test_a_record_that_is_not_one_reads_as_missing(data_dir):
    store = JobStore(data_dir)
    job_id = _new(store).id
    (store.folder(job_id) / RECORD_FILE).write_text('{"id": "%s", "status": "sleeping"}' % job_id)
    assert store.read(job_id) is None and store.list() == []


@pytest.mark.parametrize("path, allowed", [
    (["running", "succeeded"], True), (["running", "failed"], True), (["running", "canceled"], True),
    (["canceled"], True), (["failed"], True),
    (["succeeded"], False), (["running", "queued"], False), (["running", "succeeded", "running"], False),
    (["canceled", "running"], False),
])
def test_status_machine(data_dir, path, allowed):
    store = JobStore(data_dir)
    job_id = _new(store).id

    def walk():
        for status in path:
            with store.transaction(job_id) as txn:
                txn.set_status(status)

    if allowed:
        walk()
        record = store.read(job_id)
        assert record.status == path[-1] and record.finished_at
        assert (record.started_at is not None) == ("running" in path)
    else:
        with pytest.raises(InvalidTransition):
            walk()


def test_an_exception_in_a_transaction_writes_nothing(data_dir):
    store = JobStore(data_dir)
    job_id = _new(store).id
    before = store.read(job_id)

    with pytest.raises(RuntimeError):
        with store.transaction(job_id) as txn:
            txn.record.attempt = 1
            txn.event("checkpoint", "x")
            raise RuntimeError("boom")

    assert store.read(job_id) == before and len(store.events(job_id)) == 1


def test_event_numbering_survives_a_crash_between_log_and_record(data_dir):
    """A writer killed after appending events but before the record: numbering goes on from the log,
    and a half-written last line is ended, not glued to the next event."""
    store = JobStore(data_dir)
    job_id = _new(store).id
    with open(store.folder(job_id) / EVENTS_FILE, "a") as f:
        f.write('{"seq": 2, "time": "t", "type": "started", "message": "m"}\n{"seq": 3, "ty')

    with store.transaction(job_id) as txn:
        txn.event("checkpoint", "checkpoint saved at step 5", step=5)

    events = store.events(job_id)
    assert [(e.seq, e.type) for e in events] == [(1, "queued"), (2, "started"), (3, "checkpoint")]
    assert store.read(job_id).event_count == 3
    assert [e.seq for e in store.events(job_id, after=2)] == [3]


def _bump(data_dir, job_id, times):
    store = JobStore(data_dir)
    for _ in range(times):
        with store.transaction(job_id, durable=False) as txn:
            txn.record.attempt += 1
            txn.event("checkpoint", "tick")


@pytest.mark.slow  # spawns writer processes
def test_concurrent_writers_in_other_processes_lose_nothing(data_dir):
    store = JobStore(data_dir)
    job_id = _new(store).id
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_bump, args=(data_dir, job_id, 25)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)

    assert store.read(job_id).attempt == 75
    assert [e.seq for e in store.events(job_id)] == list(range(1, 77))
