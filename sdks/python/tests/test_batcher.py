"""Unit tests of the sync and async batchers over httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Callable, List

import httpx
import pytest
from helpers import Recorder, Sleeps, accepted, refused

from datapool_ingest import (
    MAX_REQUEST_BYTES,
    MAX_REQUEST_ITEMS,
    AsyncClient,
    BatchError,
    BatchFailure,
    BatchInfo,
    Client,
    DataPoolError,
    RejectedItem,
)
from datapool_ingest._wire import json_array_bytes, plan_batches


def client(recorder: Any, **options: Any) -> Client:
    return Client("ik_live_test", "http://127.0.0.1:9", transport=httpx.MockTransport(recorder), sleep=Sleeps(), **options)


def async_client(recorder: Any, **options: Any) -> AsyncClient:
    sleeps = Sleeps()
    return AsyncClient(
        "ik_live_test", "http://127.0.0.1:9", transport=httpx.MockTransport(recorder), sleep=sleeps.async_sleep, **options
    )


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Waits for something the batcher does on its own (a deadline against hanging, not a timing assertion)."""
    deadline = time.monotonic() + 10
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_flushes_by_count_without_waiting_for_the_timer() -> None:
    recorder = Recorder()
    batcher = client(recorder).batcher(max_items=3, flush_interval=3600)
    for n in range(7):
        batcher.add({"n": n})
    wait_until(lambda: len(recorder.requests) == 2, "two full batches")
    assert recorder.bodies() == [[{"n": 0}, {"n": 1}, {"n": 2}], [{"n": 3}, {"n": 4}, {"n": 5}]]
    batcher.close()
    assert recorder.bodies()[2] == [{"n": 6}]
    assert len(set(recorder.keys())) == 3


def test_flushes_by_time() -> None:
    recorder = Recorder()
    batcher = client(recorder).batcher(max_items=100, flush_interval=0.05)
    batcher.add({"n": 1})
    batcher.add({"n": 2})
    wait_until(lambda: len(recorder.requests) == 1, "the timer's flush")
    assert recorder.bodies() == [[{"n": 1}, {"n": 2}]]
    wait_until(lambda: batcher.size == 0, "the answer")
    batcher.close()
    assert len(recorder.requests) == 1


def test_no_request_over_one_megabyte_or_ten_thousand_items() -> None:
    recorder = Recorder()
    blob = "é" * 50_000  # 100,000 bytes of UTF-8: bytes, not characters, are counted
    with client(recorder).batcher(max_items=MAX_REQUEST_ITEMS, max_bytes=MAX_REQUEST_BYTES, flush_interval=3600) as batcher:
        for n in range(25):
            batcher.add({"n": n, "blob": blob})
        for n in range(25, 20_025):
            batcher.add({"n": n})
    sizes = [len(request.content) for request in recorder.requests]
    counts = [len(body) for body in recorder.bodies()]
    assert max(sizes) <= MAX_REQUEST_BYTES and max(counts) <= MAX_REQUEST_ITEMS
    assert sizes[0] > 900_000  # packed, not one item per request
    assert [item["n"] for body in recorder.bodies() for item in body] == list(range(20_025))


def test_plan_batches_fills_to_the_byte_exactly() -> None:
    # Two items whose array is exactly the limit travel together; one byte more splits them.
    size = (MAX_REQUEST_BYTES - 3) // 2
    assert json_array_bytes(2, 2 * size) == MAX_REQUEST_BYTES - 1
    assert plan_batches([size, size + 1], 10, MAX_REQUEST_BYTES) == [2]
    assert plan_batches([size, size + 2], 10, MAX_REQUEST_BYTES) == [1, 1]
    assert plan_batches([1] * 25, 10, MAX_REQUEST_BYTES) == [10, 10, 5]


def test_refuses_bad_items_alone() -> None:
    recorder = Recorder()
    batcher = client(recorder).batcher(item_key="id", max_bytes=1000)
    with pytest.raises(DataPoolError) as caught:
        batcher.add({"no_id": 1})
    assert caught.value.code == "INVALID_PAYLOAD"
    with pytest.raises(DataPoolError) as caught:
        batcher.add({"id": "x", "blob": "x" * 1000})
    assert caught.value.code == "PAYLOAD_TOO_LARGE"
    batcher.add({"id": "good"})
    batcher.close()
    assert recorder.bodies() == [[{"id": "good"}]]
    with pytest.raises(DataPoolError) as caught:
        batcher.add({"id": "late"})
    assert caught.value.code == "BATCHER_CLOSED"


def test_backpressure_blocks_add_until_a_batch_is_answered() -> None:
    release = threading.Event()
    first_sent = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        first_sent.set()
        assert release.wait(10)
        return accepted(request)

    recorder = Recorder(slow)
    batcher = client(recorder).batcher(max_items=1, max_buffered_items=2, flush_interval=3600)
    batcher.add({"n": 0})
    assert first_sent.wait(10)
    batcher.add({"n": 1})  # the buffer holds 2: one in flight, one queued
    third = threading.Thread(target=batcher.add, args=({"n": 2},))
    third.start()
    third.join(0.3)
    assert third.is_alive(), "add() should wait while max_buffered_items are held"
    assert batcher.size == 2
    release.set()
    third.join(10)
    assert not third.is_alive()
    batcher.close()
    assert recorder.bodies() == [[{"n": 0}], [{"n": 1}], [{"n": 2}]]


def test_close_raises_with_every_failed_batch_and_rejected_items() -> None:
    schema_refusal = refused(
        400,
        "INVALID_PAYLOAD",
        "1 of 2 items do not match the stream's schema.",
        details=[{"index": 1, "path": [1, "price"], "message": "must be number"}],
    )
    recorder = Recorder(schema_refusal, None, refused(401, "UNAUTHORIZED"))
    rejected_seen: List[List[RejectedItem]] = []
    errors_seen: List[BatchFailure] = []
    batcher = client(recorder).batcher(
        max_items=2,
        flush_interval=3600,
        on_rejected=lambda rejected, failure: rejected_seen.append(rejected),
        on_error=errors_seen.append,
    )
    items = [{"id": n, "price": "free" if n == 1 else n} for n in range(6)]
    for item in items:
        batcher.add(item)
    with pytest.raises(BatchError) as caught:
        batcher.close()
    failures = caught.value.failures
    assert caught.value.code == "BATCH_FAILED"
    assert len(failures) == 2 and len(recorder.requests) == 3  # neither 400 nor 401 retried
    schema, auth = failures
    assert schema.error.code == "INVALID_PAYLOAD" and schema.items == items[0:2]
    assert [(r.index, r.item, [(p.path, p.message) for p in r.problems]) for r in schema.rejected] == [
        (1, items[1], [(["price"], "must be number")])
    ]
    assert schema.rejected_total == 1 and schema.not_rejected == [items[0]]
    assert auth.error.code == "UNAUTHORIZED" and auth.error.status == 401 and auth.items == items[4:6]
    assert auth.rejected == [] and auth.not_rejected == items[4:6]
    assert schema.idempotency_key == recorder.keys()[0] and auth.idempotency_key == recorder.keys()[2]
    assert rejected_seen == [schema.rejected] and errors_seen == [schema, auth]


def test_a_batch_retried_keeps_its_key_and_one_that_fails_for_good_is_reported() -> None:
    recorder = Recorder(httpx.ReadError("lost"), None, *[refused(503, "INTERNAL_ERROR")] * 2)
    batcher = client(recorder, max_attempts=2).batcher(max_items=1, flush_interval=3600)
    batcher.add({"n": 0})
    batcher.add({"n": 1})
    with pytest.raises(BatchError) as caught:
        batcher.flush()
    keys = recorder.keys()
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[0] != keys[2]
    (failure,) = caught.value.failures
    assert failure.items == [{"n": 1}] and failure.error.status == 503 and failure.idempotency_key == keys[2]
    batcher.add({"n": 2})
    batcher.close()  # each failure is reported once
    assert recorder.bodies()[-1] == [{"n": 2}]


def test_context_manager_raises_and_idempotency_key_function_sees_offsets() -> None:
    recorder = Recorder(None, refused(413, "PAYLOAD_TOO_LARGE"))
    seen: List[BatchInfo] = []

    def key(batch: BatchInfo) -> str:
        seen.append(batch)
        return f"run-{batch.offset}-{len(batch.items)}"

    with pytest.raises(BatchError) as caught:
        with client(recorder).batcher(max_items=2, flush_interval=3600, idempotency_key=key) as batcher:
            for n in range(3):
                batcher.add({"n": n})
    assert recorder.keys() == ["run-0-2", "run-2-1"]
    assert [b.offset for b in seen] == [0, 2]
    assert caught.value.failures[0].error.code == "PAYLOAD_TOO_LARGE"


def test_items_are_serialised_when_added() -> None:
    recorder = Recorder()
    batcher = client(recorder).batcher(flush_interval=3600)
    item = {"v": 1}
    batcher.add(item)
    item["v"] = 2
    batcher.close()
    assert recorder.bodies() == [[{"v": 1}]]


# --- async --------------------------------------------------------------------------------


def test_async_batcher_flushes_by_count_time_and_close() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        async with async_client(recorder) as c:
            batcher = c.batcher(max_items=2, flush_interval=0.05)
            for n in range(5):
                await batcher.add({"n": n})
            for _ in range(1000):
                if len(recorder.requests) == 3:
                    break
                await asyncio.sleep(0.01)
            # Two full batches left by count, the fifth item by time: no flush() was called.
            assert recorder.bodies() == [[{"n": 0}, {"n": 1}], [{"n": 2}, {"n": 3}], [{"n": 4}]]
            await batcher.close()
            assert len(set(recorder.keys())) == 3

    asyncio.run(scenario())


def test_async_backpressure() -> None:
    async def scenario() -> None:
        release = asyncio.Event()

        async def slow(request: httpx.Request) -> httpx.Response:
            await release.wait()
            return accepted(request)

        recorder = Recorder(slow, slow)
        async with async_client(recorder) as c:
            batcher = c.batcher(max_items=1, max_buffered_items=2, flush_interval=3600)
            await batcher.add({"n": 0})
            await batcher.add({"n": 1})
            third = asyncio.ensure_future(batcher.add({"n": 2}))
            for _ in range(50):
                await asyncio.sleep(0)
            assert not third.done(), "add() should wait while max_buffered_items are held"
            assert batcher.size == 3
            release.set()
            await asyncio.wait_for(third, 10)
            await batcher.close()
            assert recorder.bodies() == [[{"n": 0}], [{"n": 1}], [{"n": 2}]]

    asyncio.run(scenario())


def test_async_close_raises_with_rejected_items() -> None:
    async def scenario() -> None:
        refusal = refused(
            400, "INVALID_PAYLOAD", "2 of 3 items do not match the stream's schema.",
            details=[{"index": 0, "path": [0], "message": "must be object"}, {"index": 2, "path": [2, "a", 0], "message": "bad"}],
        )
        recorder = Recorder(refusal, refused(500, "INTERNAL_ERROR"), refused(500, "INTERNAL_ERROR"))
        async with async_client(recorder, max_attempts=2) as c:
            batcher = c.batcher(max_items=3, flush_interval=3600)
            for n in range(4):
                await batcher.add({"n": n})
            with pytest.raises(BatchError) as caught:
                await batcher.close()
            refused_batch, server_error = caught.value.failures
            assert [(r.index, r.problems[0].path) for r in refused_batch.rejected] == [(0, []), (2, ["a", 0])]
            assert refused_batch.rejected_total == 2 and refused_batch.not_rejected == [{"n": 1}]
            assert server_error.items == [{"n": 3}] and server_error.error.code == "INTERNAL_ERROR"
            assert len(recorder.requests) == 3
            with pytest.raises(DataPoolError) as closed:
                await batcher.add({"n": 9})
            assert closed.value.code == "BATCHER_CLOSED"

    asyncio.run(scenario())


def test_async_bytes_bound() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        async with async_client(recorder) as c:
            async with c.batcher(max_bytes=MAX_REQUEST_BYTES, max_items=MAX_REQUEST_ITEMS, flush_interval=3600) as batcher:
                for n in range(40):
                    await batcher.add({"n": n, "blob": "x" * 100_000})
        assert all(len(r.content) <= MAX_REQUEST_BYTES for r in recorder.requests)
        assert [json.loads(r.content)[0]["n"] for r in recorder.requests] == [0, 10, 20, 30]

    asyncio.run(scenario())
