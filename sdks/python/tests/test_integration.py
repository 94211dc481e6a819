"""The SDK against a real server (`node scripts/start.ts`, started by the `server` fixture)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import httpx
import pytest
from conftest import Server, eventually

from datapool_ingest import AsyncClient, BatchError, Client, DataPoolError


def values(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {item["key"]: item["value"] for item in items}


class DropFirstAnswer(httpx.BaseTransport):
    """Forwards requests to the server, but loses the answer to the first: the server applied it, the client never heard."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.dropped = 0
        self.sent: List[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        response = self.inner.handle_request(request)
        if self.dropped == 0:
            response.read()
            response.close()
            self.dropped += 1
            raise httpx.ReadError("connection dropped before the answer arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_ingest_and_read_back(server: Server) -> None:
    connector = server.connector(item_key="region")
    with Client(connector.key, server.url) as client:
        result = client.ingest([{"region": "North", "revenue": 1200}, {"region": "South", "revenue": 900}])
        assert result.stream == connector.stream and result.items_received == 2 and not result.replayed
        assert result.request_id.startswith("req_")
        client.ingest({"code": "E1", "revenue": 5}, item_key="code", stream=connector.stream)
    stored = eventually(lambda: values(server.items(connector.stream)), lambda v: len(v) == 3, "three items")
    assert stored == {
        "North": {"region": "North", "revenue": 1200},
        "South": {"region": "South", "revenue": 900},
        "E1": {"code": "E1", "revenue": 5},
    }


def test_a_b_a_of_one_item_ends_on_a(server: Server) -> None:
    connector = server.connector(item_key="id")
    with Client(connector.key, server.url) as client:
        results = [client.ingest({"id": "switch", "state": state}) for state in ("on", "off", "on")]
    # Each call is its own operation: the third, byte for byte the first, is not taken for a replay.
    assert [r.replayed for r in results] == [False, False, False]
    assert len({r.request_id for r in results}) == 3

    def settled() -> List[Dict[str, Any]]:
        return [log for log in server.logs(connector) if log["status"] == "processed"]

    eventually(settled, lambda logs: len(logs) == 3, "three processed requests")
    assert values(server.items(connector.stream)) == {"switch": {"id": "switch", "state": "on"}}


def test_delete_replace_and_clear(server: Server) -> None:
    connector = server.connector(item_key="id")
    stream = connector.stream
    with Client(connector.key, server.url) as client:
        client.ingest([{"id": n, "v": n} for n in ("a", "b", "c")])
        eventually(lambda: server.items(stream), lambda items: len(items) == 3, "three items")
        client.delete(["a", "missing"], item_key="id")
        eventually(lambda: sorted(values(server.items(stream))), lambda keys: keys == ["b", "c"], "a deleted")
        client.replace([{"id": "x", "v": 1}, {"id": "b", "v": 2}], item_key="id")
        eventually(
            lambda: values(server.items(stream)),
            lambda v: v == {"x": {"id": "x", "v": 1}, "b": {"id": "b", "v": 2}},
            "the replace's items only",
        )
        client.clear()
        eventually(lambda: server.items(stream), lambda items: items == [], "an empty stream")


def test_a_retried_call_is_applied_once(server: Server) -> None:
    # No item key: each item is appended under a generated key, so a second apply would show as more items.
    connector = server.connector()
    transport = DropFirstAnswer()
    with Client(connector.key, server.url, transport=transport) as client:
        result = client.ingest([{"n": n} for n in range(5)])
    assert transport.dropped == 1 and len(transport.sent) == 2
    assert transport.sent[0].headers["Idempotency-Key"] == transport.sent[1].headers["Idempotency-Key"]
    assert result.replayed is True and result.items_received == 5

    logs = eventually(
        lambda: server.logs(connector),
        lambda entries: sorted(e["status"] for e in entries) == ["duplicate", "processed"],
        "one processed request and one duplicate",
    )
    assert {e["idempotency_key"] for e in logs} == {transport.sent[0].headers["Idempotency-Key"]}
    items = server.items(connector.stream)
    assert sorted(item["value"]["n"] for item in items) == [0, 1, 2, 3, 4]


def test_the_same_key_sent_twice_is_replayed_and_another_body_refused(server: Server) -> None:
    connector = server.connector(item_key="id")
    with Client(connector.key, server.url) as client:
        first = client.ingest({"id": "k", "v": 1}, idempotency_key="py-import-1")
        again = client.ingest({"id": "k", "v": 1}, idempotency_key="py-import-1")
        assert not first.replayed and again.replayed and again.request_id == first.request_id
        with pytest.raises(DataPoolError) as caught:
            client.ingest({"id": "k", "v": 2}, idempotency_key="py-import-1")
    error = caught.value
    assert (error.code, error.status, error.retryable) == ("IDEMPOTENCY_KEY_REUSED", 422, False)
    assert error.request_id is not None and error.request_id.startswith("req_")


def test_a_real_429_is_waited_out(server: Server) -> None:
    connector = server.connector(item_key="id", rate_limit={"requests": 1, "period_seconds": 2})
    waits: List[float] = []

    import time

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with Client(connector.key, server.url, sleep=sleep) as client:
        client.ingest({"id": "first"})
        client.ingest({"id": "second"})  # over the limit: 429 with Retry-After, then accepted
    assert waits and all(w >= 1 for w in waits)
    eventually(lambda: sorted(values(server.items(connector.stream))), lambda k: k == ["first", "second"], "both items")
    statuses = [e["status"] for e in server.logs(connector)]
    assert "rejected" in statuses


def test_errors_are_typed(server: Server) -> None:
    connector = server.connector(item_key="id")
    other = server.connector(item_key="id")
    with Client("ik_live_" + "0" * 40, server.url) as client:
        with pytest.raises(DataPoolError) as caught:
            client.ingest({"id": 1})
    assert (caught.value.code, caught.value.status) == ("UNAUTHORIZED", 401)
    with Client(connector.key, server.url) as client:
        with pytest.raises(DataPoolError) as caught:
            client.ingest({"id": 1}, stream=other.stream)
        assert (caught.value.code, caught.value.status) == ("STREAM_NOT_FOUND", 404)
        with pytest.raises(DataPoolError) as caught:
            client.ingest([{"id": 1}, {"nope": 2}, {"id": 3}, {"nope": 4}])
    error = caught.value
    assert (error.code, error.status) == ("INVALID_PAYLOAD", 400)
    assert [d.index for d in error.details] == [1, 3]


def test_batcher_delivers_three_megabytes_exactly_once(server: Server) -> None:
    connector = server.connector(item_key="id")
    batches: List[int] = []
    with Client(connector.key, server.url) as client:
        with client.batcher(item_key="id", max_items=1000, on_batch=lambda r, items: batches.append(len(items))) as batcher:
            for n in range(3000):
                batcher.add({"id": f"row-{n}", "pad": "x" * 1000, "n": n})
    assert sum(batches) == 3000 and len(batches) >= 4  # ~3 MB cannot travel in fewer than four 900 KiB requests
    items = eventually(lambda: server.items(connector.stream), lambda i: len(i) == 3000, "3000 items")
    assert sorted(item["value"]["n"] for item in items) == list(range(3000))


def test_async_batcher_reports_schema_rejections(server: Server) -> None:
    connector = server.connector(item_key="id")
    schema = {"type": "object", "properties": {"price": {"type": "number"}}, "required": ["price"]}
    server.admin("PATCH", f"/api/admin/streams/{connector.stream}", json={"schema": schema})

    async def scenario() -> BatchError:
        async with AsyncClient(connector.key, server.url) as client:
            batcher = client.batcher(item_key="id", max_items=4, flush_interval=3600)
            for n in range(8):
                await batcher.add({"id": f"i{n}", "price": "free" if n == 2 else n})
            with pytest.raises(BatchError) as caught:
                await batcher.close()
            return caught.value

    error = asyncio.run(scenario())
    (failure,) = error.failures
    assert failure.error.code == "INVALID_PAYLOAD" and failure.error.status == 400
    assert [(r.index, r.item["id"], r.problems[0].path) for r in failure.rejected] == [(2, "i2", ["price"])]
    assert [item["id"] for item in failure.not_rejected] == ["i0", "i1", "i3"]
    # The refused batch was applied in nothing; the other batch was.
    stored = eventually(lambda: sorted(values(server.items(connector.stream))), lambda k: len(k) == 4, "the good batch")
    assert stored == ["i4", "i5", "i6", "i7"]


def test_the_readme_example_runs(server: Server) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    connector = server.connector(item_key="region")
    example = Path(__file__).resolve().parents[1] / "examples" / "quick_start.py"
    done = subprocess.run(
        [sys.executable, str(example)],
        env={**os.environ, "DATAPOOL_URL": server.url, "DATAPOOL_INGEST_KEY": connector.key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == ["500", "500", "200"]
    items = eventually(lambda: server.items(connector.stream), lambda i: len(i) == 1200, "1200 stores")
    assert {item["key"] for item in items} == {f"store-{n}" for n in range(1, 1201)}
