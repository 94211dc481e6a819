"""A real DataPool Ingest server for the integration tests: `node scripts/start.ts` (what `npm start` runs).

One server per test session, on a free port of 127.0.0.1, with its own admin token and a state
directory of its own; stopped by killing its process group (node, wrangler and workerd).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Connector:
    id: str
    stream: str
    key: str
    item_key: Optional[str]


@dataclass
class Server:
    url: str
    admin_token: str

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, self.url + path, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=30, **kwargs
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json().get("data")

    def connector(self, item_key: Optional[str] = None, rate_limit: Optional[Dict[str, int]] = None) -> Connector:
        """A fresh stream with one connector and an ingest key."""
        stream = f"py-{uuid.uuid4().hex[:12]}"
        body: Dict[str, Any] = {"name": stream, "stream": stream}
        if item_key is not None:
            body["item_key"] = item_key
        if rate_limit is not None:
            body["rate_limit"] = rate_limit
        connector = self.admin("POST", "/api/admin/connectors", json=body)
        key = self.admin("POST", f"/api/admin/connectors/{connector['id']}/keys")
        return Connector(id=connector["id"], stream=stream, key=key["key"], item_key=item_key)

    def items(self, stream: str) -> List[Dict[str, Any]]:
        data = self.admin("GET", f"/api/streams/{stream}/items")
        return list(data["items"])

    def logs(self, connector: Connector) -> List[Dict[str, Any]]:
        response = httpx.get(
            f"{self.url}/api/admin/connectors/{connector.id}/logs?limit=100",
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


def eventually(read: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 30) -> T:
    """Reads until ``done`` holds: accepted writes are applied asynchronously, through the queue."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r}")
        time.sleep(0.1)


def _launch() -> "tuple[subprocess.Popen[bytes], Server, str, Path]":
    port = free_port()
    token = secrets.token_urlsafe(24)
    state = tempfile.mkdtemp(prefix="datapool-py-state-")
    log_path = Path(tempfile.mkstemp(prefix="datapool-py-server-", suffix=".log")[1])
    env = {
        **os.environ,
        "PORT": str(port),
        "ADMIN_TOKEN": token,
        "DATAPOOL_PERSIST_DIR": state,
        "PATH": f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["node", "scripts/start.ts"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, Server(url=f"http://127.0.0.1:{port}", admin_token=token), state, log_path


def _stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _ready(process: "subprocess.Popen[bytes]", server: Server, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            # Our admin token proves the answer comes from our server, not whoever else took the port.
            response = httpx.get(
                server.url + "/api/admin/connectors", headers={"Authorization": f"Bearer {server.admin_token}"}, timeout=5
            )
            if response.status_code == 200:
                return
            if response.status_code == 401:
                raise RuntimeError("the port is served by another server")
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not become ready:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    last: Optional[BaseException] = None
    # The free port is only free until wrangler binds it; another process may win that race.
    for _ in range(3):
        process, running, state, log_path = _launch()
        try:
            _ready(process, running, log_path)
        except RuntimeError as error:
            last = error
            _stop(process)
            shutil.rmtree(state, ignore_errors=True)
            continue
        try:
            yield running
        finally:
            _stop(process)
            shutil.rmtree(state, ignore_errors=True)
            log_path.unlink(missing_ok=True)
        return
    raise RuntimeError(f"could not start the server: {last}")
