"""A burst through a faulty network to the real server: every item arrives exactly once.

The faults sit in an httpx transport in front of the real one (a proxy inside the process):
answers of 429 with Retry-After and 503 that never reach the server, answers lost after the
server applied the request, and requests delivered twice to the server.
"""

from __future__ import annotations

import itertools
from typing import Iterator, List

import httpx
from conftest import Server, eventually

from datapool_ingest import AsyncClient, Client

FAULTS = ["429", "ok", "503", "drop", "ok", "duplicate", "drop", "ok", "reset"]


class Chaos(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.faults: Iterator[str] = itertools.cycle(FAULTS)
        self.seen: List[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = next(self.faults)
        self.seen.append(fault)
        if fault == "429":
            return httpx.Response(
                429,
                headers={"Retry-After": "1"},
                json={"success": False, "error": {"code": "RATE_LIMITED", "message": "slow down"}, "request_id": "req_proxy"},
            )
        if fault == "503":
            return httpx.Response(503, text="upstream unavailable")
        if fault == "reset":
            raise httpx.ConnectError("connection reset before the request was sent", request=request)
        if fault == "duplicate":
            first = self.inner.handle_request(request)
            first.read()
            first.close()
        response = self.inner.handle_request(request)
        if fault in ("drop", "duplicate"):
            response.read()
            response.close()
        if fault == "drop":
            raise httpx.ReadError("connection dropped before the answer arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_burst_through_faults_arrives_exactly_once(server: Server) -> None:
    # No item key: each item is appended under a generated key, so any double apply would show.
    connector = server.connector()
    waits: List[float] = []
    chaos = Chaos()
    count = 2_000
    with Client(connector.key, server.url, transport=chaos, sleep=waits.append, max_attempts=10) as client:
        with client.batcher(max_items=100, flush_interval=3600) as batcher:
            for n in range(count):
                batcher.add({"n": n, "text": "é" * 20})
    assert {"429", "503", "drop", "duplicate", "reset"} <= set(chaos.seen)
    assert 1.0 in waits  # the proxy's Retry-After was honoured
    items = eventually(lambda: server.items(connector.stream), lambda i: len(i) >= count, f"{count} items")
    assert len(items) == count
    assert sorted(item["value"]["n"] for item in items) == list(range(count))
    # The stream writes its log entries to D1 through its outbox, up to a moment after it applied them.
    statuses = eventually(
        lambda: [entry["status"] for entry in server.logs(connector)],
        lambda s: s.count("processed") >= count // 100,
        f"{count // 100} processed requests",
    )
    assert statuses.count("processed") == count // 100 and "duplicate" in statuses


def test_async_client_through_faults(server: Server) -> None:
    import asyncio

    connector = server.connector(item_key="id")

    class AsyncChaos(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.sync = Chaos()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            # The sync transport in a thread: the faults are the same, the event loop stays free.
            return await asyncio.get_running_loop().run_in_executor(None, self.forward, request)

        def forward(self, request: httpx.Request) -> httpx.Response:
            response = self.sync.handle_request(request)
            response.read()
            headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")]
            return httpx.Response(response.status_code, headers=headers, content=response.content)

    async def no_wait(seconds: float) -> None:
        return None

    async def scenario() -> None:
        transport = AsyncChaos()
        async with AsyncClient(connector.key, server.url, transport=transport, sleep=no_wait, max_attempts=10) as client:
            for state in ("on", "off", "on", "off", "on"):
                await client.ingest({"id": "switch", "state": state})
            async with client.batcher(item_key="id", max_items=50, flush_interval=3600) as batcher:
                for n in range(500):
                    await batcher.add({"id": f"row-{n}", "n": n})
        transport.sync.close()

    asyncio.run(scenario())
    items = eventually(lambda: server.items(connector.stream), lambda i: len(i) == 501, "501 items")
    stored = {item["key"]: item["value"] for item in items}
    assert stored["switch"] == {"id": "switch", "state": "on"}
    assert sorted(v["n"] for k, v in stored.items() if k != "switch") == list(range(500))
