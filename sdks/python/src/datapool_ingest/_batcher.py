"""Batchers: group items into requests by count, bytes and time, with backpressure.

Two drivers share one bookkeeping core (``_Core``, no I/O, no locks):

* ``Batcher`` (sync) sends from a daemon worker thread; ``add()`` blocks while the buffer is full.
* ``AsyncBatcher`` sends from an asyncio task; ``await add()`` waits while the buffer is full.

Each has one request in flight at a time, so batches reach the API in the order their items
were added. Every batch gets its own Idempotency-Key (fresh random, or from ``idempotency_key``),
sent on each of its retries.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Deque, List, Optional, Tuple

from ._errors import BatchError, BatchFailure, DataPoolError, Item, RejectedItem
from ._wire import (
    MAX_REQUEST_BYTES,
    MAX_REQUEST_ITEMS,
    IngestResult,
    check_item,
    json_array_bytes,
    new_idempotency_key,
    plan_batches,
    rejection_of,
    utf8_len,
)

if TYPE_CHECKING:
    from ._client import AsyncClient, Client


@dataclass(frozen=True)
class BatchInfo:
    """A batch about to be sent, as the ``idempotency_key`` function sees it."""

    items: List[Item]
    offset: int
    """How many items were added to the batcher before the batch's first one."""


IdempotencyKeyFn = Callable[[BatchInfo], str]
OnBatch = Callable[[IngestResult, List[Item]], None]
OnError = Callable[[BatchFailure], None]
OnRejected = Callable[[List[RejectedItem], BatchFailure], None]


@dataclass
class _Entry:
    value: Item
    json: str
    size: int
    seq: int = 0


def _limit(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}.")
    return value


class _Core:
    """The batcher's state: what is buffered, queued and in flight, and what failed. Callers synchronise."""

    def __init__(
        self,
        *,
        item_key: Optional[str],
        stream: Optional[str],
        max_items: int,
        max_bytes: int,
        flush_interval: float,
        max_buffered_items: int,
        idempotency_key: Optional[IdempotencyKeyFn],
        on_batch: Optional[OnBatch],
        on_error: Optional[OnError],
        on_rejected: Optional[OnRejected],
    ) -> None:
        self.item_key = item_key
        self.stream = stream
        self.max_items = _limit("max_items", max_items, 1, MAX_REQUEST_ITEMS)
        self.max_bytes = _limit("max_bytes", max_bytes, 3, MAX_REQUEST_BYTES)
        if isinstance(flush_interval, bool) or not isinstance(flush_interval, (int, float)) or flush_interval < 0:
            raise ValueError("flush_interval must be a number of seconds, 0 or more.")
        self.flush_interval = float(flush_interval)
        self.max_buffered = _limit("max_buffered_items", max_buffered_items, 1, 2**62)
        self.key_fn = idempotency_key
        self.on_batch = on_batch
        self.on_error = on_error
        self.on_rejected = on_rejected
        self.pending: List[_Entry] = []
        self.pending_bytes = 0
        self.pending_since = 0.0
        self.queue: Deque[List[_Entry]] = deque()
        self.held = 0
        self.last_seq = 0
        self.settled_seq = 0
        self.failures: List[BatchFailure] = []
        self.closed = False

    def entry(self, item: Any) -> _Entry:
        """Checks and serialises an item once, when added: later changes to the dict do not leak in."""
        text = check_item(item, self.item_key)
        size = utf8_len(text)
        if json_array_bytes(1, size) > self.max_bytes:
            raise DataPoolError(
                f"The item is {size} bytes of JSON; a batch holds at most {self.max_bytes}.", code="PAYLOAD_TOO_LARGE"
            )
        return _Entry(value=item, json=text, size=size)

    def check_open(self) -> None:
        if self.closed:
            raise DataPoolError("The batcher is closed.", code="BATCHER_CLOSED")

    def has_room(self) -> bool:
        return self.held < self.max_buffered

    def admit(self, entry: _Entry) -> None:
        self.last_seq += 1
        entry.seq = self.last_seq
        self.held += 1
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.append(entry)
        self.pending_bytes += entry.size
        full = len(self.pending) >= self.max_items or json_array_bytes(len(self.pending), self.pending_bytes) > self.max_bytes
        if full:
            self.cut(everything=False)

    def cut(self, everything: bool) -> None:
        """Moves buffered items into batches to send: all of them, or only the full batches."""
        counts = plan_batches([entry.size for entry in self.pending], self.max_items, self.max_bytes)
        if not everything and counts and counts[-1] < self.max_items:
            counts.pop()
        for count in counts:
            self.queue.append(self.pending[:count])
            del self.pending[:count]
        self.pending_bytes = sum(entry.size for entry in self.pending)
        if self.pending and counts:
            self.pending_since = time.monotonic()

    def due_in(self) -> Optional[float]:
        """Seconds until the buffered items are due to leave; None when nothing is buffered."""
        if not self.pending:
            return None
        return self.pending_since + self.flush_interval - time.monotonic()

    def prepare(self, batch: List[_Entry]) -> Tuple[str, List[Item], str]:
        items = [entry.value for entry in batch]
        key = self.key_fn(BatchInfo(items=items, offset=batch[0].seq - 1)) if self.key_fn else new_idempotency_key()
        return "[" + ",".join(entry.json for entry in batch) + "]", items, key

    def failed(self, error: BaseException, items: List[Item], key: str) -> BatchFailure:
        failure_error = (
            error
            if isinstance(error, DataPoolError)
            else DataPoolError(f"The batch could not be sent: {error!r}", code="UNEXPECTED_ERROR")
        )
        rejected, total, not_rejected = rejection_of(failure_error, items)
        failure = BatchFailure(
            error=failure_error, items=items, idempotency_key=key,
            rejected=rejected, rejected_total=total, not_rejected=not_rejected,
        )
        self.failures.append(failure)
        return failure

    def settle(self, batch: List[_Entry]) -> None:
        self.held -= len(batch)
        self.settled_seq = batch[-1].seq

    def take_failures(self) -> None:
        failures, self.failures = self.failures, []
        if failures:
            raise BatchError(failures)

    def notify(self, result: Optional[IngestResult], failure: Optional[BatchFailure], items: List[Item]) -> None:
        """Runs the callbacks; one that raises must not break the batcher (the failure is still reported by close())."""
        try:
            if result is not None and self.on_batch:
                self.on_batch(result, items)
            if failure is not None:
                if failure.rejected and self.on_rejected:
                    self.on_rejected(failure.rejected, failure)
                if self.on_error:
                    self.on_error(failure)
        except Exception:  # noqa: BLE001 - deliberately ignored, see above
            pass


# Options of both batchers (keyword arguments of ``client.batcher()``): ``item_key`` (X-Item-Key, also checked before an item is buffered), ``stream``
# (post to /api/ingest/{stream}), ``max_items`` (per request, at most 10,000; default 500),
# ``max_bytes`` (JSON bytes per request, at most 1,048,576; default 900 KiB), ``flush_interval``
# (seconds after the first buffered item; default 1.0), ``max_buffered_items`` (items buffered or in
# flight before ``add()`` waits; default 10,000), ``idempotency_key(BatchInfo) -> str`` (default: a
# fresh random key per batch), and callbacks ``on_batch(result, items)``, ``on_error(failure)`` and
# ``on_rejected(rejected, failure)``, which run on the batcher's worker and must not call ``add()``
# or ``flush()`` (``failure.not_rejected`` can be added again once ``flush()``/``close()`` returned).


class Batcher:
    """Sync batcher: ``add()`` buffers (blocking while ``max_buffered_items`` are held), a worker thread sends.

    A batch leaves when it holds ``max_items``, when the next item would push its JSON past
    ``max_bytes``, or ``flush_interval`` seconds after its first item. ``flush()`` sends everything
    and waits for the API's answers; ``close()`` (or leaving a ``with`` block) refuses further items,
    flushes and raises ``BatchError`` listing every batch that failed for good, its items, and the
    items a ``400 INVALID_PAYLOAD`` named (``failure.rejected``).
    """

    def __init__(self, client: Client, **options: Any) -> None:
        self._client = client
        self._core = _Core(**options)
        self._cond = threading.Condition()
        self._stopping = False
        self._waiting = 0
        self._worker: Optional[threading.Thread] = None

    @property
    def size(self) -> int:
        """Items added and not yet answered by the API."""
        with self._cond:
            return self._core.held

    def add(self, item: Item) -> None:
        """Buffers an item; raises ``DataPoolError`` at once for an item the API would refuse on its own."""
        core = self._core
        entry = core.entry(item)
        with self._cond:
            core.check_open()
            self._start()
            self._waiting += 1
            try:
                while not core.has_room():
                    core.cut(everything=True)
                    self._cond.notify_all()
                    self._cond.wait()
            finally:
                self._waiting -= 1
            core.admit(entry)
            self._cond.notify_all()

    def flush(self) -> None:
        """Sends everything added so far, waits for every answer, raises ``BatchError`` for batches that failed."""
        core = self._core
        with self._cond:
            target = core.last_seq
            core.cut(everything=True)
            self._cond.notify_all()
            while core.settled_seq < target:
                self._cond.wait()
            core.take_failures()

    def close(self) -> None:
        """Refuses further items, flushes, stops the worker; raises like ``flush()``."""
        core = self._core
        try:
            with self._cond:
                core.closed = True
                # Adds blocked for room when close() began are delivered too.
                while self._waiting > 0 or core.settled_seq < core.last_seq:
                    core.cut(everything=True)
                    self._cond.notify_all()
                    self._cond.wait()
                core.take_failures()
        finally:
            with self._cond:
                self._stopping = True
                self._cond.notify_all()
            if self._worker is not None:
                self._worker.join()

    def __enter__(self) -> Batcher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="datapool-batcher", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        core = self._core
        while True:
            with self._cond:
                while True:
                    if core.queue:
                        batch = core.queue.popleft()
                        break
                    due = core.due_in()
                    if due is not None and due <= 0:
                        core.cut(everything=True)
                        continue
                    if due is None and self._stopping:
                        return
                    self._cond.wait(timeout=due)
                body, items, key = core.prepare(batch)
            result: Optional[IngestResult] = None
            failure: Optional[BatchFailure] = None
            try:
                result = self._client.ingest_json(body, core.item_key, key, stream=core.stream)
            except Exception as error:  # noqa: BLE001 - every failure is reported
                with self._cond:
                    failure = core.failed(error, items, key)
            core.notify(result, failure, items)
            with self._cond:
                core.settle(batch)
                self._cond.notify_all()


class AsyncBatcher:
    """Asyncio batcher: ``await add()`` buffers (waiting while ``max_buffered_items`` are held), a task sends.

    The same flush rules and guarantees as ``Batcher``; use it as ``async with client.batcher() as b``,
    or ``await b.close()``, which raises ``BatchError`` listing every batch that failed for good.
    """

    def __init__(self, client: AsyncClient, **options: Any) -> None:
        self._client = client
        self._core = _Core(**options)
        self._waiters: Deque[Tuple[_Entry, asyncio.Future[None]]] = deque()
        self._progress: List[asyncio.Future[None]] = []
        self._wake: Optional[asyncio.Event] = None
        self._task: Optional[asyncio.Future[None]] = None
        self._stopping = False

    @property
    def size(self) -> int:
        """Items added and not yet answered by the API (waiting adds included)."""
        return self._core.held + len(self._waiters)

    async def add(self, item: Item) -> None:
        """Buffers an item; raises ``DataPoolError`` at once for an item the API would refuse on its own."""
        core = self._core
        core.check_open()
        entry = core.entry(item)
        self._start()
        if core.has_room() and not self._waiters:
            core.admit(entry)
            self._poke()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((entry, future))
        core.cut(everything=True)
        self._poke()
        await future

    async def flush(self) -> None:
        """Sends everything added so far, waits for every answer, raises ``BatchError`` for batches that failed."""
        core = self._core
        target = core.last_seq
        while core.settled_seq < target:
            await self._progressed()
        core.take_failures()

    async def _progressed(self) -> None:
        """Sends what is buffered and waits until the next batch settles."""
        progressed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._progress.append(progressed)
        self._core.cut(everything=True)
        self._poke()
        await progressed

    async def close(self) -> None:
        """Refuses further items, flushes, stops the worker task; raises like ``flush()``."""
        core = self._core
        core.closed = True
        try:
            # Adds waiting for room when close() began are delivered too.
            while self._waiters or core.settled_seq < core.last_seq:
                await self._progressed()
            core.take_failures()
        finally:
            self._stopping = True
            self._poke()
            if self._task is not None:
                await self._task

    async def __aenter__(self) -> AsyncBatcher:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        core = self._core
        wake = self._wake
        assert wake is not None
        while True:
            if core.queue:
                await self._send(core.queue.popleft())
                continue
            due = core.due_in()
            if due is not None and due <= 0:
                core.cut(everything=True)
                continue
            if due is None and self._stopping:
                return
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), due)
            except asyncio.TimeoutError:
                pass

    async def _send(self, batch: List[_Entry]) -> None:
        core = self._core
        body, items, key = core.prepare(batch)
        result: Optional[IngestResult] = None
        failure: Optional[BatchFailure] = None
        try:
            result = await self._client.ingest_json(body, core.item_key, key, stream=core.stream)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failure = core.failed(error, items, key)
        core.notify(result, failure, items)
        core.settle(batch)
        while self._waiters and core.has_room():
            entry, future = self._waiters.popleft()
            if future.cancelled():
                continue
            core.admit(entry)
            future.set_result(None)
        if self._waiters:
            core.cut(everything=True)
        for progressed in self._progress:
            if not progressed.done():
                progressed.set_result(None)
        self._progress.clear()

