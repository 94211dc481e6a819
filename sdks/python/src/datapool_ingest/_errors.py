"""The SDK's error types: one DataPoolError for every failure, BatchError for a batcher's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Union

PathSegment = Union[str, int]
Item = Mapping[str, Any]


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an error's ``details``.

    For a problem of one item of the request ``index`` is the item's position in
    the body and ``path`` starts with it (``[2, "price"]``); other details have
    ``index`` None.
    """

    path: List[PathSegment]
    message: str
    index: Optional[int] = None


class DataPoolError(Exception):
    """An API error envelope, or a failure to get an answer at all.

    ``code`` is the API's code (``INVALID_PAYLOAD``, ``UNAUTHORIZED``,
    ``STREAM_NOT_FOUND``, ``PAYLOAD_TOO_LARGE``, ``IDEMPOTENCY_KEY_REUSED``,
    ``RATE_LIMITED``, ``INTERNAL_ERROR``, ...) or one of the SDK's own:
    ``NETWORK_ERROR``, ``TIMEOUT``, ``UNEXPECTED_RESPONSE``, ``BATCH_FAILED``,
    ``BATCHER_CLOSED``, ``UNEXPECTED_ERROR``. ``status`` is None when no HTTP
    answer came or the SDK refused before sending. ``retry_after`` is in seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        details: Optional[Sequence[ErrorDetail]] = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.details: List[ErrorDetail] = list(details or [])
        self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"DataPoolError(code={self.code!r}, status={self.status!r}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )


@dataclass(frozen=True)
class ItemProblem:
    """One problem the API found in an item: where in the item (``[]`` for the item itself), and what."""

    path: List[PathSegment]
    message: str


@dataclass(frozen=True)
class RejectedItem:
    """An item of a batch the API refused (its schema or its item key), with what is wrong with it."""

    index: int
    """The item's position in the batch (``BatchFailure.items``)."""
    item: Item
    problems: List[ItemProblem]


@dataclass(frozen=True)
class BatchFailure:
    """A batch the batcher could not deliver.

    A batch is one request, applied whole or not at all: none of its items were
    applied, neither the rejected ones nor the others.
    """

    error: DataPoolError
    items: List[Item]
    idempotency_key: str
    rejected: List[RejectedItem] = field(default_factory=list)
    """The items the API named in a ``400 INVALID_PAYLOAD`` (at most 100 are listed)."""
    rejected_total: int = 0
    """How many items the API said failed in all; more than ``len(rejected)`` when its list was cut."""
    not_rejected: List[Item] = field(default_factory=list)
    """The batch's other items: not applied either, ready to add again."""


class BatchError(DataPoolError):
    """Raised by a batcher's ``flush()``/``close()`` when batches failed for good since the last flush."""

    def __init__(self, failures: Sequence[BatchFailure]) -> None:
        count = sum(len(failure.items) for failure in failures)
        first = failures[0].error.message if failures else ""
        super().__init__(
            f"{len(failures)} batch(es) with {count} item(s) were not accepted"
            + (f": {first}" if first else "."),
            code="BATCH_FAILED",
        )
        self.failures: List[BatchFailure] = list(failures)
