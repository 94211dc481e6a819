"""Fakes for unit tests: a recording httpx.MockTransport handler and the API's answers."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Union

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


def accepted(request: httpx.Request, replayed: bool = False) -> httpx.Response:
    body = json.loads(request.content)
    count = len(body) if isinstance(body, list) else 1
    headers = {"X-Request-Id": "req_ok"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return httpx.Response(
        202,
        json={"success": True, "data": {"stream": "sales", "items_received": count, "request_id": "req_ok"}},
        headers=headers,
    )


def refused(
    status: int,
    code: str,
    message: str = "refused",
    details: Optional[List[Dict[str, Any]]] = None,
    headers: Optional[Dict[str, str]] = None,
) -> httpx.Response:
    error: Dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return httpx.Response(
        status,
        json={"success": False, "error": error, "request_id": f"req_{status}"},
        headers={"X-Request-Id": f"req_{status}", **(headers or {})},
    )


class Recorder:
    """Answers requests from a script (responses, exceptions, or callables), recording each request."""

    def __init__(self, *script: Union[httpx.Response, Exception, Handler, None]) -> None:
        self.script = list(script)
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        step = self.script.pop(0) if self.script else None
        if step is None:
            return accepted(request)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def keys(self) -> List[Optional[str]]:
        return [request.headers.get("Idempotency-Key") for request in self.requests]

    def bodies(self) -> List[Any]:
        return [json.loads(request.content) for request in self.requests]


class Sleeps:
    """A sleep that records its waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
