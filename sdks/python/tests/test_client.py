"""Unit tests of the sync and async clients over httpx.MockTransport: retries, keys, errors, bodies."""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
from typing import Any, List

import httpx
import pytest
from helpers import Recorder, Sleeps, accepted, refused

from datapool_ingest import AsyncClient, Backoff, Client, DataPoolError, MAX_REQUEST_BYTES
from datapool_ingest._wire import backoff_delay, parse_retry_after

KEY_PATTERN = re.compile(r"^sdk1_[0-9a-f]{32}$")


def client(recorder: Recorder, sleeps: Sleeps, **options: Any) -> Client:
    return Client("ik_live_test", "http://127.0.0.1:9", transport=httpx.MockTransport(recorder), sleep=sleeps, **options)


def test_ingest_sends_items_with_headers_and_reads_the_answer() -> None:
    recorder, sleeps = Recorder(), Sleeps()
    result = client(recorder, sleeps).ingest([{"region": "North", "revenue": 1}], item_key="region")
    assert result.stream == "sales" and result.items_received == 1 and result.request_id == "req_ok"
    assert result.replayed is False
    (request,) = recorder.requests
    assert request.method == "POST" and request.url.path == "/api/ingest"
    assert request.headers["Authorization"] == "Bearer ik_live_test"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Item-Key"] == "region"
    assert "X-Ingest-Mode" not in request.headers
    assert KEY_PATTERN.match(request.headers["Idempotency-Key"])
    assert json.loads(request.content) == [{"region": "North", "revenue": 1}]


def test_replayed_answer_is_reported() -> None:
    recorder = Recorder(lambda request: accepted(request, replayed=True))
    assert client(recorder, Sleeps()).ingest({"a": 1}).replayed is True


@pytest.mark.parametrize(
    "failure",
    [
        refused(503, "INTERNAL_ERROR"),
        refused(500, "INTERNAL_ERROR"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.ConnectError("refused"),
        httpx.ReadError("connection reset"),
        httpx.RemoteProtocolError("dropped"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["503", "500", "502-html", "connect", "read", "protocol", "timeout"],
)
def test_retries_transient_failures_with_the_same_key(failure: Any) -> None:
    recorder, sleeps = Recorder(failure, failure), Sleeps()
    result = client(recorder, sleeps, random=lambda: 0.5).ingest({"a": 1})
    assert result.request_id == "req_ok"
    keys = recorder.keys()
    assert len(keys) == 3 and len(set(keys)) == 1
    assert [json.loads(r.content) for r in recorder.requests] == [{"a": 1}] * 3
    # Full jitter over 0.5 s doubling: random() * 0.5, then random() * 1.0.
    assert sleeps.waits == [0.25, 0.5]


def test_429_waits_for_retry_after() -> None:
    recorder, sleeps = Recorder(refused(429, "RATE_LIMITED", headers={"Retry-After": "7"})), Sleeps()
    client(recorder, sleeps, random=lambda: 0.0).ingest({"a": 1})
    assert sleeps.waits == [7.0]
    assert len(recorder.requests) == 2 and len(set(recorder.keys())) == 1


def test_429_with_an_http_date_retry_after() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    recorder, sleeps = Recorder(refused(429, "RATE_LIMITED", headers={"Retry-After": when})), Sleeps()
    client(recorder, sleeps).ingest({"a": 1})
    assert len(sleeps.waits) == 1 and 28 <= sleeps.waits[0] <= 31


def test_429_without_retry_after_backs_off() -> None:
    recorder, sleeps = Recorder(refused(429, "RATE_LIMITED")), Sleeps()
    client(recorder, sleeps, random=lambda: 0.5, backoff=Backoff(base=2.0, cap=10.0)).ingest({"a": 1})
    assert sleeps.waits == [1.0]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "INVALID_PAYLOAD"),
        (401, "UNAUTHORIZED"),
        (404, "STREAM_NOT_FOUND"),
        (413, "PAYLOAD_TOO_LARGE"),
        (422, "IDEMPOTENCY_KEY_REUSED"),
    ],
)
def test_never_retries_client_errors(status: int, code: str) -> None:
    recorder, sleeps = Recorder(refused(status, code, "nope", details=[{"path": [0, "x"], "message": "bad", "index": 0}])), Sleeps()
    with pytest.raises(DataPoolError) as caught:
        client(recorder, sleeps).ingest({"a": 1})
    error = caught.value
    assert len(recorder.requests) == 1 and sleeps.waits == []
    assert (error.code, error.status, error.request_id, error.retryable) == (code, status, f"req_{status}", False)
    assert error.message == "nope"
    assert [(d.index, d.path, d.message) for d in error.details] == [(0, [0, "x"], "bad")]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    recorder, sleeps = Recorder(*[refused(503, "INTERNAL_ERROR")] * 10), Sleeps()
    with pytest.raises(DataPoolError) as caught:
        client(recorder, sleeps, max_attempts=3).ingest({"a": 1})
    assert caught.value.status == 503 and caught.value.retryable is True
    assert len(recorder.requests) == 3 and len(sleeps.waits) == 2


def test_gives_up_when_the_wait_would_pass_max_elapsed() -> None:
    recorder, sleeps = Recorder(refused(429, "RATE_LIMITED", headers={"Retry-After": "120"})), Sleeps()
    with pytest.raises(DataPoolError) as caught:
        client(recorder, sleeps, max_elapsed=60).ingest({"a": 1})
    assert caught.value.code == "RATE_LIMITED" and caught.value.retry_after == 120
    assert len(recorder.requests) == 1 and sleeps.waits == []


def test_total_time_bounds_the_retries() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    recorder = Recorder(*[refused(503, "INTERNAL_ERROR", headers={"Retry-After": "4"})] * 20)
    c = Client(
        "ik_live_test", "http://127.0.0.1:9", transport=httpx.MockTransport(recorder), sleep=sleep,
        clock=lambda: now[0], max_attempts=100, max_elapsed=10,
    )
    with pytest.raises(DataPoolError):
        c.ingest({"a": 1})
    # Waits at 4 and 8 s; a third (to 12 s) would pass the 10 s budget.
    assert len(recorder.requests) == 3 and now[0] == 8


def test_timeout_and_network_errors_are_typed() -> None:
    recorder = Recorder(*[httpx.ConnectTimeout("slow")] * 2)
    with pytest.raises(DataPoolError) as caught:
        client(recorder, Sleeps(), max_attempts=2).ingest({"a": 1})
    assert caught.value.code == "TIMEOUT" and caught.value.status is None
    recorder = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(DataPoolError) as caught:
        client(recorder, Sleeps(), max_attempts=1).ingest({"a": 1})
    assert caught.value.code == "NETWORK_ERROR" and caught.value.status is None


def test_fresh_key_per_call_and_the_callers_key_wins() -> None:
    recorder = Recorder()
    c = client(recorder, Sleeps())
    c.ingest({"on": True})
    c.ingest({"on": True})
    c.ingest({"on": True}, idempotency_key="import-2024-06-01")
    keys = recorder.keys()
    assert keys[0] != keys[1] and all(KEY_PATTERN.match(k or "") for k in keys[:2])
    assert keys[2] == "import-2024-06-01"


def test_callers_key_is_kept_on_retries() -> None:
    recorder = Recorder(httpx.ReadError("lost"), refused(500, "INTERNAL_ERROR"))
    client(recorder, Sleeps()).ingest({"a": 1}, idempotency_key="mine")
    assert recorder.keys() == ["mine", "mine", "mine"]


def test_unexpected_answers_are_errors() -> None:
    recorder = Recorder(httpx.Response(202, text="ok"))
    with pytest.raises(DataPoolError) as caught:
        client(recorder, Sleeps()).ingest({"a": 1})
    assert caught.value.code == "UNEXPECTED_RESPONSE" and caught.value.status == 202
    recorder = Recorder(httpx.Response(418, text="teapot", headers={"X-Request-Id": "req_t"}))
    with pytest.raises(DataPoolError) as caught:
        client(recorder, Sleeps()).ingest({"a": 1})
    assert (caught.value.code, caught.value.status, caught.value.request_id) == ("UNEXPECTED_RESPONSE", 418, "req_t")
    assert len(recorder.requests) == 1


def test_malformed_details_are_read_defensively() -> None:
    details = [{"message": "kept", "path": [1, "a"], "index": 1}, {"path": []}, "junk", {"message": "no index", "path": [{"x": 1}], "index": -1}]
    recorder = Recorder(refused(400, "INVALID_PAYLOAD", details=details))
    with pytest.raises(DataPoolError) as caught:
        client(recorder, Sleeps()).ingest({"a": 1})
    assert [(d.index, d.path, d.message) for d in caught.value.details] == [(1, [1, "a"], "kept"), (None, [], "no index")]


def test_delete_replace_clear_bodies_and_modes() -> None:
    recorder = Recorder()
    c = client(recorder, Sleeps())
    c.delete(["North", 12], item_key="region")
    c.replace([{"region": "West", "revenue": 3}], item_key="region")
    c.clear(stream="sales")
    d, r, cl = recorder.requests
    assert d.headers["X-Ingest-Mode"] == "delete" and d.headers["X-Item-Key"] == "region"
    assert json.loads(d.content) == [{"region": "North"}, {"region": 12}]
    assert r.headers["X-Ingest-Mode"] == "replace" and json.loads(r.content) == [{"region": "West", "revenue": 3}]
    assert cl.headers["X-Ingest-Mode"] == "replace" and json.loads(cl.content) == [] and cl.url.path == "/api/ingest/sales"
    assert "X-Item-Key" not in cl.headers
    assert len(set(recorder.keys())) == 3


def test_refused_before_sending() -> None:
    recorder = Recorder()
    c = client(recorder, Sleeps())
    with pytest.raises(DataPoolError) as caught:
        c.delete([], item_key="region")
    assert caught.value.code == "INVALID_PAYLOAD" and caught.value.status is None
    with pytest.raises(DataPoolError) as caught:
        c.delete(["ok", ""], item_key="region")
    assert caught.value.details[0].index == 1
    with pytest.raises(DataPoolError) as caught:
        c.replace([{"i": n} for n in range(10_001)])
    assert caught.value.code == "INVALID_PAYLOAD"
    with pytest.raises(DataPoolError) as caught:
        c.replace([{"blob": "x" * MAX_REQUEST_BYTES}])
    assert caught.value.code == "PAYLOAD_TOO_LARGE"
    with pytest.raises(DataPoolError):
        c.ingest([])
    with pytest.raises(DataPoolError):
        c.ingest([{"nan": float("nan")}])
    assert recorder.requests == []


def test_retry_after_parsing_and_jitter_bounds() -> None:
    assert parse_retry_after("3") == 3 and parse_retry_after(" 0 ") == 0
    assert parse_retry_after(None) is None and parse_retry_after("-1") is None and parse_retry_after("soon") is None
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=0) == 10
    backoff = Backoff(base=0.5, cap=4.0)
    assert backoff_delay(1, backoff, lambda: 0.999) < 0.5
    assert backoff_delay(3, backoff, lambda: 0.999) < 2.0
    assert 3.9 < backoff_delay(10, backoff, lambda: 0.999) < 4.0
    assert backoff_delay(5, backoff, lambda: 0.0) == 0.0


def test_async_client_retries_with_one_key_and_never_retries_4xx() -> None:
    async def scenario() -> None:
        sleeps = Sleeps()
        recorder = Recorder(refused(429, "RATE_LIMITED", headers={"Retry-After": "2"}), httpx.ReadError("lost"))
        async with AsyncClient(
            "ik_live_test", "http://127.0.0.1:9", transport=httpx.MockTransport(recorder), sleep=sleeps.async_sleep, random=lambda: 0.5
        ) as c:
            result = await c.ingest({"a": 1}, item_key="a")
            assert result.items_received == 1
            assert sleeps.waits == [2.0, 0.5]
            assert len(recorder.requests) == 3 and len(set(recorder.keys())) == 1
            await c.ingest({"a": 1})
            assert recorder.keys()[3] != recorder.keys()[0]
            recorder.script = [refused(422, "IDEMPOTENCY_KEY_REUSED")]
            with pytest.raises(DataPoolError) as caught:
                await c.delete("x", item_key="a", idempotency_key="k")
            assert caught.value.code == "IDEMPOTENCY_KEY_REUSED" and len(recorder.requests) == 5
            await c.replace([{"a": 2}])
            await c.clear()
            modes: List[str] = [r.headers.get("X-Ingest-Mode", "upsert") for r in recorder.requests]
            assert modes == ["upsert", "upsert", "upsert", "upsert", "delete", "replace", "replace"]

    asyncio.run(scenario())
