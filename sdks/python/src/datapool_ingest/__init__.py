"""DataPool Ingest: a Python client for the DataPool ingest API.

``Client`` (sync) and ``AsyncClient`` (asyncio), both on httpx, with safe retries under one
Idempotency-Key per call, ``delete``/``replace``/``clear``, and batchers (``client.batcher()``).
"""

from ._batcher import AsyncBatcher, Batcher, BatchInfo
from ._client import AsyncClient, Client
from ._errors import BatchError, BatchFailure, DataPoolError, ErrorDetail, ItemProblem, RejectedItem
from ._wire import MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS, Backoff, IngestResult, new_idempotency_key

__version__ = "0.1.0"

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_REQUEST_ITEMS",
    "AsyncBatcher",
    "AsyncClient",
    "Backoff",
    "BatchError",
    "BatchFailure",
    "BatchInfo",
    "Batcher",
    "Client",
    "DataPoolError",
    "ErrorDetail",
    "IngestResult",
    "ItemProblem",
    "RejectedItem",
    "new_idempotency_key",
]
