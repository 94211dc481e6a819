"""Everything about the API's wire format that needs no I/O: bodies, limits, answers, the retry policy."""

from __future__ import annotations

import email.utils
import json
import math
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import httpx

from ._errors import DataPoolError, ErrorDetail, Item, ItemProblem, PathSegment, RejectedItem

MAX_REQUEST_BYTES = 1_048_576
"""The API's limit on a request body, in bytes of JSON."""
MAX_REQUEST_ITEMS = 10_000
"""The API's limit on items per request."""
MAX_ITEM_KEY_LENGTH = 512

ItemKeyValue = Union[str, int, float]


# --- Idempotency keys -------------------------------------------------------------------------


def new_idempotency_key() -> str:
    """A fresh key for one operation: ``sdk1_`` and 128 random bits in hex (the TypeScript SDK's format)."""
    return "sdk1_" + secrets.token_hex(16)


# --- Retry policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts without a Retry-After: ``base`` seconds doubling per retry, capped at ``cap``."""

    base: float = 0.5
    cap: float = 20.0


def backoff_delay(retry: int, backoff: Backoff, random: Callable[[], float]) -> float:
    """Full jitter: uniformly random in [0, min(cap, base * 2**(retry-1))) seconds, ``retry`` counting from 1."""
    ceiling = min(backoff.cap, backoff.base * float(2 ** max(0, retry - 1)))
    return random() * ceiling


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return float(int(text))
    if not re.search(r"[a-zA-Z]", text):
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return float(max(0, math.ceil(when.timestamp() - current)))


def is_retryable_status(status: int) -> bool:
    """429 and 5xx are worth retrying; every other status (400/401/404/413/422...) answers the same again."""
    return status == 429 or 500 <= status <= 599


def retry_delay(retry: int, retry_after: Optional[float], backoff: Backoff, random: Callable[[], float]) -> float:
    """The server's Retry-After when it gave one, else jittered backoff."""
    if retry_after is not None and retry_after > 0:
        return retry_after
    return backoff_delay(retry, backoff, random)


# --- Bodies -----------------------------------------------------------------------------------


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 as it is sent, refusing NaN and infinities (not JSON)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def json_array_bytes(count: int, item_bytes: int) -> int:
    """Bytes of a JSON array of ``count`` items whose texts add up to ``item_bytes``: brackets and commas included."""
    return item_bytes + max(0, count - 1) + 2


def _invalid(message: str, **extra: Any) -> DataPoolError:
    return DataPoolError(message, code="INVALID_PAYLOAD", **extra)


def valid_key_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return 0 < len(value) <= MAX_ITEM_KEY_LENGTH
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return False


def check_item(item: Any, item_key: Optional[str]) -> str:
    """Checks an item as the API will and returns its JSON text; one bad item would otherwise sink its batch."""
    if not isinstance(item, Mapping):
        raise _invalid("Each item must be a JSON object (a dict).")
    try:
        text = dumps(item)
    except (TypeError, ValueError) as error:
        raise _invalid(f"The item cannot be serialised to JSON: {error}") from error
    if item_key is not None and not valid_key_value(item.get(item_key)):
        raise _invalid(f'The item needs "{item_key}" as a non-empty string (at most 512 characters) or a finite number.')
    return text


def plan_batches(sizes: Sequence[int], max_items: int, max_bytes: int) -> List[int]:
    """Splits items, in order, into batches of at most ``max_items`` whose JSON array is at most ``max_bytes``.

    ``sizes`` are the UTF-8 lengths of the items' JSON texts; returns how many items each batch takes.
    """
    counts: List[int] = []
    count = 0
    total = 0
    for size in sizes:
        if json_array_bytes(1, size) > max_bytes:
            raise ValueError(f"An item of {size} bytes does not fit a batch of {max_bytes} bytes.")
        if count > 0 and (count >= max_items or json_array_bytes(count + 1, total + size) > max_bytes):
            counts.append(count)
            count = 0
            total = 0
        count += 1
        total += size
    if count > 0:
        counts.append(count)
    return counts


def _one_request(text: str, count: int, what: str) -> str:
    if count > MAX_REQUEST_ITEMS:
        raise _invalid(f"{what} holds {count} items; one request takes at most {MAX_REQUEST_ITEMS}, and it cannot be split.")
    size = utf8_len(text)
    if size > MAX_REQUEST_BYTES:
        raise DataPoolError(
            f"{what} is {size} bytes of JSON; one request takes at most {MAX_REQUEST_BYTES}, and it cannot be split.",
            code="PAYLOAD_TOO_LARGE",
        )
    return text


def items_body(items: Union[Item, Sequence[Item]]) -> str:
    """The body of an upsert: one object or a non-empty list of objects, as the API takes them."""
    if isinstance(items, Mapping):
        return check_item(items, None)
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError("ingest() takes a dict or a list of dicts.")
    if len(items) == 0:
        raise _invalid("ingest() needs at least one item.")
    return "[" + ",".join(check_item(item, None) for item in items) + "]"


def delete_body(keys: Union[ItemKeyValue, Sequence[ItemKeyValue]], item_key: str) -> str:
    """The body of a delete: one ``{item_key: key}`` per key, each key checked as the API checks item keys."""
    if not isinstance(item_key, str) or item_key == "":
        raise TypeError("delete() needs item_key: the field the keys are values of.")
    values: Sequence[Any] = [keys] if isinstance(keys, (str, int, float)) else list(keys)
    if len(values) == 0:
        raise _invalid("delete() needs at least one key.")
    parts: List[str] = []
    for index, value in enumerate(values):
        if not valid_key_value(value):
            raise _invalid(
                f"Key {index} cannot be deleted: it must be a non-empty string of at most 512 characters or a finite number.",
                details=[ErrorDetail(path=[index, item_key], message="Invalid item key", index=index)],
            )
        parts.append(dumps({item_key: value}))
    return _one_request("[" + ",".join(parts) + "]", len(parts), "The delete")


def replace_body(items: Sequence[Item]) -> str:
    """The body of a replace: the items as one JSON array, which may be empty (a clear)."""
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError("replace() takes a list of items; [] clears the stream.")
    return _one_request("[" + ",".join(check_item(item, None) for item in items) + "]", len(items), "The replace")


# --- Answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    """The API's answer to an accepted request."""

    stream: str
    items_received: int
    request_id: str
    """The request's id; on a replay, the original request's."""
    replayed: bool
    """True when the API had already accepted this Idempotency-Key and body: nothing was applied again."""


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is_segment(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, str) or (isinstance(value, (int, float)) and math.isfinite(value))


def read_details(value: Any) -> List[ErrorDetail]:
    """The envelope's ``details``, entry by entry: an entry without a string message is dropped."""
    if not isinstance(value, list):
        return []
    out: List[ErrorDetail] = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("message"), str):
            continue
        raw_path = entry.get("path")
        path: List[PathSegment] = (
            [int(s) if isinstance(s, float) and s.is_integer() else s for s in raw_path]
            if isinstance(raw_path, list) and all(_is_segment(s) for s in raw_path)
            else []
        )
        index = entry.get("index")
        valid_index = isinstance(index, int) and not isinstance(index, bool) and index >= 0
        out.append(ErrorDetail(path=path, message=entry["message"], index=index if valid_index else None))
    return out


def error_from_response(response: httpx.Response) -> DataPoolError:
    """The error an unsuccessful answer stands for, read from the API's error envelope when there is one."""
    body = _parse_json(response.text)
    error = body.get("error") if isinstance(body, dict) else None
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(request_id, str):
        request_id = response.headers.get("x-request-id")
    common: Dict[str, Any] = {
        "status": response.status_code,
        "request_id": request_id,
        "retry_after": parse_retry_after(response.headers.get("retry-after")),
        "retryable": is_retryable_status(response.status_code),
    }
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        message = error.get("message")
        return DataPoolError(
            message if isinstance(message, str) else error["code"],
            code=error["code"],
            details=read_details(error.get("details")),
            **common,
        )
    return DataPoolError(f"HTTP {response.status_code} without the API's error envelope.", code="UNEXPECTED_RESPONSE", **common)


def result_from_response(response: httpx.Response) -> IngestResult:
    """Reads a 2xx answer of the ingest endpoint; anything but the success envelope is an error."""
    body = _parse_json(response.text)
    data = body.get("data") if isinstance(body, dict) and body.get("success") is True else None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("stream"), str)
        or not isinstance(data.get("items_received"), int)
        or not isinstance(data.get("request_id"), str)
    ):
        raise DataPoolError(
            f"HTTP {response.status_code} with a body that is not the ingest answer.",
            code="UNEXPECTED_RESPONSE",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )
    return IngestResult(
        stream=data["stream"],
        items_received=data["items_received"],
        request_id=data["request_id"],
        replayed=response.headers.get("idempotent-replayed") == "true",
    )


# --- Rejected items ---------------------------------------------------------------------------


def _failed_in_message(message: str) -> Optional[int]:
    """The count an item refusal's message starts with: "3 of 10 items do not match ..."."""
    match = re.match(r"^(\d[\d,]*) of \d[\d,]* items? ", message)
    return int(match.group(1).replace(",", "")) if match else None


def rejection_of(error: DataPoolError, items: Sequence[Item]) -> Tuple[List[RejectedItem], int, List[Item]]:
    """Maps a batch's ``400 INVALID_PAYLOAD`` to the items its details name: (rejected, rejected_total, not_rejected)."""
    problems: Dict[int, List[ItemProblem]] = {}
    if error.status == 400 and error.code == "INVALID_PAYLOAD":
        for detail in error.details:
            index = detail.index
            if index is None or index >= len(items):
                continue
            path = detail.path[1:] if detail.path and detail.path[0] == index else list(detail.path)
            problems.setdefault(index, []).append(ItemProblem(path=path, message=detail.message))
    rejected: List[RejectedItem] = []
    not_rejected: List[Item] = []
    for index, item in enumerate(items):
        if index in problems:
            rejected.append(RejectedItem(index=index, item=item, problems=problems[index]))
        else:
            not_rejected.append(item)
    counted = _failed_in_message(error.message) if rejected else None
    total = min(len(items), max(len(rejected), counted or 0))
    return rejected, total, not_rejected
