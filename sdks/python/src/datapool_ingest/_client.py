"""The sync and async clients: one request per call, retried safely under one Idempotency-Key."""

from __future__ import annotations

import asyncio
import random as _random
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import httpx

from ._errors import DataPoolError, Item
from ._wire import (
    Backoff,
    IngestResult,
    ItemKeyValue,
    delete_body,
    error_from_response,
    items_body,
    new_idempotency_key,
    replace_body,
    result_from_response,
    retry_delay,
)

if TYPE_CHECKING:
    from ._batcher import AsyncBatcher, Batcher, IdempotencyKeyFn, OnBatch, OnError, OnRejected

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_MAX_ELAPSED = 60.0


def _positive(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number.")
    return float(value)


class _Base:
    """What both clients share: options, the request a call makes, and the retry decision."""

    def __init__(
        self,
        key: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_elapsed: float = DEFAULT_MAX_ELAPSED,
        backoff: Optional[Backoff] = None,
        random: Optional[Callable[[], float]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if not isinstance(key, str) or key == "":
            raise ValueError("key is required: an ingest key, ik_live_...")
        url = httpx.URL(str(base_url))
        if url.scheme not in ("http", "https"):
            raise ValueError("base_url must be an http(s) URL, e.g. http://localhost:8787")
        self._key = key
        self._base_url = str(url).rstrip("/")
        self._timeout = _positive("timeout", timeout)
        self._max_attempts = int(_positive("max_attempts", max_attempts))
        self._max_elapsed = _positive("max_elapsed", max_elapsed)
        self._backoff = backoff or Backoff()
        self._random = random or _random.random
        self._clock = clock or time.monotonic

    def _prepare(
        self, mode: str, item_key: Optional[str], idempotency_key: Optional[str], stream: Optional[str]
    ) -> Tuple[str, Dict[str, str]]:
        headers = {
            "Authorization": f"Bearer {self._key}",
            "Content-Type": "application/json",
            # Made once, before the first attempt, so that every retry of this call carries it.
            "Idempotency-Key": idempotency_key if idempotency_key is not None else new_idempotency_key(),
        }
        if item_key is not None:
            headers["X-Item-Key"] = item_key
        if mode != "upsert":
            headers["X-Ingest-Mode"] = mode
        path = "/api/ingest" if stream is None else f"/api/ingest/{quote(stream, safe='')}"
        return self._base_url + path, headers

    def _attempt_timeout(self, started: float) -> float:
        remaining = self._max_elapsed - (self._clock() - started)
        return max(0.001, min(self._timeout, remaining))

    def _next_delay(self, error: DataPoolError, attempt: int, started: float) -> Optional[float]:
        """The wait before another attempt, or None when the call must fail with ``error``."""
        if not error.retryable or attempt >= self._max_attempts:
            return None
        delay = retry_delay(attempt, error.retry_after, self._backoff, self._random)
        if self._clock() - started + delay >= self._max_elapsed:
            return None
        return delay


def _transport_error(error: httpx.TransportError, timeout: float) -> DataPoolError:
    if isinstance(error, httpx.TimeoutException):
        failure = DataPoolError(f"No answer within {timeout:g} s.", code="TIMEOUT", retryable=True)
    else:
        failure = DataPoolError(f"Network error: {error}", code="NETWORK_ERROR", retryable=True)
    failure.__cause__ = error
    return failure


def _answer(response: httpx.Response) -> IngestResult:
    if 200 <= response.status_code < 300:
        return result_from_response(response)
    raise error_from_response(response)


class Client(_Base):
    """A synchronous client of the DataPool ingest API (thread-safe, like the ``httpx.Client`` under it).

    Retries 429 (after ``Retry-After``), 5xx, timeouts and connection errors with exponential
    backoff and full jitter, at most ``max_attempts`` attempts and ``max_elapsed`` seconds per
    call, and never 400/401/404/413/422. Every attempt of one call sends the same
    Idempotency-Key: the caller's, or a fresh random one per call.
    """

    def __init__(
        self,
        key: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_elapsed: float = DEFAULT_MAX_ELAPSED,
        backoff: Optional[Backoff] = None,
        transport: Optional[httpx.BaseTransport] = None,
        http_client: Optional[httpx.Client] = None,
        sleep: Optional[Callable[[float], None]] = None,
        random: Optional[Callable[[], float]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(
            key, base_url, timeout=timeout, max_attempts=max_attempts, max_elapsed=max_elapsed,
            backoff=backoff, random=random, clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(transport=transport)
        self._sleep = sleep or time.sleep

    def ingest(
        self,
        items: Union[Item, Sequence[Item]],
        item_key: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Sends one dict, or a list of dicts, in one request: accepted whole (202) or refused whole."""
        return self.ingest_json(items_body(items), item_key, idempotency_key, stream=stream)

    def ingest_json(
        self, body: str, item_key: Optional[str] = None, idempotency_key: Optional[str] = None, *, stream: Optional[str] = None
    ) -> IngestResult:
        """Sends JSON text exactly as given, with the retries of ``ingest()``."""
        return self._send(body, "upsert", item_key, idempotency_key, stream)

    def delete(
        self,
        keys: Union[ItemKeyValue, Sequence[ItemKeyValue]],
        item_key: str,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Removes the items whose ``item_key`` field is one of ``keys`` (``X-Ingest-Mode: delete``), in one request."""
        return self._send(delete_body(keys, item_key), "delete", item_key, idempotency_key, stream)

    def replace(
        self,
        items: Sequence[Item],
        item_key: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Makes ``items`` the stream's whole content in one atomic change; refused before sending past 10,000 items or 1 MB."""
        return self._send(replace_body(items), "replace", item_key, idempotency_key, stream)

    def clear(self, idempotency_key: Optional[str] = None, *, stream: Optional[str] = None) -> IngestResult:
        """Removes every item of the stream: ``replace([])``."""
        return self._send("[]", "replace", None, idempotency_key, stream)

    def batcher(
        self,
        *,
        item_key: Optional[str] = None,
        stream: Optional[str] = None,
        max_items: int = 500,
        max_bytes: int = 900 * 1024,
        flush_interval: float = 1.0,
        max_buffered_items: int = 10_000,
        idempotency_key: Optional[IdempotencyKeyFn] = None,
        on_batch: Optional[OnBatch] = None,
        on_error: Optional[OnError] = None,
        on_rejected: Optional[OnRejected] = None,
    ) -> Batcher:
        """A thread-backed buffer that groups items into requests by count, bytes and time; see ``Batcher``."""
        from ._batcher import Batcher

        return Batcher(
            self, item_key=item_key, stream=stream, max_items=max_items, max_bytes=max_bytes,
            flush_interval=flush_interval, max_buffered_items=max_buffered_items, idempotency_key=idempotency_key,
            on_batch=on_batch, on_error=on_error, on_rejected=on_rejected,
        )

    def close(self) -> None:
        """Closes the HTTP connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _send(
        self, body: str, mode: str, item_key: Optional[str], idempotency_key: Optional[str], stream: Optional[str]
    ) -> IngestResult:
        url, headers = self._prepare(mode, item_key, idempotency_key, stream)
        content = body.encode("utf-8")
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            timeout = self._attempt_timeout(started)
            try:
                try:
                    response = self._http.post(url, content=content, headers=headers, timeout=timeout)
                except httpx.TransportError as error:
                    raise _transport_error(error, timeout) from error
                return _answer(response)
            except DataPoolError as error:
                delay = self._next_delay(error, attempt, started)
                if delay is None:
                    raise
            self._sleep(delay)


class AsyncClient(_Base):
    """The asyncio twin of ``Client``, on ``httpx.AsyncClient``: the same calls, retries and keys, awaited."""

    def __init__(
        self,
        key: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_elapsed: float = DEFAULT_MAX_ELAPSED,
        backoff: Optional[Backoff] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        random: Optional[Callable[[], float]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(
            key, base_url, timeout=timeout, max_attempts=max_attempts, max_elapsed=max_elapsed,
            backoff=backoff, random=random, clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(transport=transport)
        self._sleep = sleep or asyncio.sleep

    async def ingest(
        self,
        items: Union[Item, Sequence[Item]],
        item_key: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Sends one dict, or a list of dicts, in one request: accepted whole (202) or refused whole."""
        return await self.ingest_json(items_body(items), item_key, idempotency_key, stream=stream)

    async def ingest_json(
        self, body: str, item_key: Optional[str] = None, idempotency_key: Optional[str] = None, *, stream: Optional[str] = None
    ) -> IngestResult:
        """Sends JSON text exactly as given, with the retries of ``ingest()``."""
        return await self._send(body, "upsert", item_key, idempotency_key, stream)

    async def delete(
        self,
        keys: Union[ItemKeyValue, Sequence[ItemKeyValue]],
        item_key: str,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Removes the items whose ``item_key`` field is one of ``keys`` (``X-Ingest-Mode: delete``), in one request."""
        return await self._send(delete_body(keys, item_key), "delete", item_key, idempotency_key, stream)

    async def replace(
        self,
        items: Sequence[Item],
        item_key: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        *,
        stream: Optional[str] = None,
    ) -> IngestResult:
        """Makes ``items`` the stream's whole content in one atomic change; refused before sending past 10,000 items or 1 MB."""
        return await self._send(replace_body(items), "replace", item_key, idempotency_key, stream)

    async def clear(self, idempotency_key: Optional[str] = None, *, stream: Optional[str] = None) -> IngestResult:
        """Removes every item of the stream: ``replace([])``."""
        return await self._send("[]", "replace", None, idempotency_key, stream)

    def batcher(
        self,
        *,
        item_key: Optional[str] = None,
        stream: Optional[str] = None,
        max_items: int = 500,
        max_bytes: int = 900 * 1024,
        flush_interval: float = 1.0,
        max_buffered_items: int = 10_000,
        idempotency_key: Optional[IdempotencyKeyFn] = None,
        on_batch: Optional[OnBatch] = None,
        on_error: Optional[OnError] = None,
        on_rejected: Optional[OnRejected] = None,
    ) -> AsyncBatcher:
        """An asyncio buffer that groups items into requests by count, bytes and time; see ``AsyncBatcher``."""
        from ._batcher import AsyncBatcher

        return AsyncBatcher(
            self, item_key=item_key, stream=stream, max_items=max_items, max_bytes=max_bytes,
            flush_interval=flush_interval, max_buffered_items=max_buffered_items, idempotency_key=idempotency_key,
            on_batch=on_batch, on_error=on_error, on_rejected=on_rejected,
        )

    async def aclose(self) -> None:
        """Closes the HTTP connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _send(
        self, body: str, mode: str, item_key: Optional[str], idempotency_key: Optional[str], stream: Optional[str]
    ) -> IngestResult:
        url, headers = self._prepare(mode, item_key, idempotency_key, stream)
        content = body.encode("utf-8")
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            timeout = self._attempt_timeout(started)
            try:
                try:
                    response = await self._http.post(url, content=content, headers=headers, timeout=timeout)
                except httpx.TransportError as error:
                    raise _transport_error(error, timeout) from error
                return _answer(response)
            except DataPoolError as error:
                delay = self._next_delay(error, attempt, started)
                if delay is None:
                    raise
            await self._sleep(delay)
