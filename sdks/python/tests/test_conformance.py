"""The SDK conformance scenarios (``sdks/conformance/scenarios/*.json``; ``sdks/conformance/README.md`` is the spec).

Each scenario file is one test case, run against the real server of the ``server`` fixture through the shared
fault proxy (``sdks/conformance/fault-proxy.ts``, a Node program this module starts per scenario). The files are
found by globbing the directory, so a new one runs without a change here; a file, member, op or fault this runner
does not know fails its test rather than being skipped.

How the ops map to the SDK:

- ``ingest``: ``Client.ingest`` (sync), one call per ``per_call`` slice; with ``concurrency`` > 1,
  ``AsyncClient.ingest`` under ``asyncio.gather`` bounded by a semaphore. ``error``: the call raises
  ``DataPoolError`` with that ``status``, ``code`` and detail indexes, and nothing of it is applied.
- ``delete`` / ``replace`` / ``clear``: ``Client.delete(keys, item_key)``, ``Client.replace(items)``,
  ``Client.clear()``.
- ``batch``: ``Client.batcher(max_items=...)`` (its default byte limit), ``add()`` item by item, ``close()``;
  ``failed``: ``close()`` raises ``BatchError`` whose ``failures`` hold those items, errors and ``rejected`` items.
- ``expect``: polls the stream (admin token, straight to the server), then waits until the connector's log holds a
  settled entry (not ``queued``, not ``failed``) for every ingest request the proxy forwarded, and reads again.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, AbstractSet, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

import httpx
import pytest
from conftest import REPO, Connector, Server

from datapool_ingest import AsyncClient, Backoff, BatchError, Client, DataPoolError, IngestResult

SCENARIOS = REPO / "sdks" / "conformance" / "scenarios"
FAULT_PROXY = REPO / "sdks" / "conformance" / "fault-proxy.ts"
NODE = REPO / "node_modules" / ".bin" / "node"

FAULTS = {"pass", "429", "503", "reset", "drop", "duplicate"}
STREAM_DEADLINE = 60.0  # the spec's "polls the stream (up to 60 s)"
SETTLE_DEADLINE = 60.0  # and "waits (up to 60 s) until the connector's log is settled"
PROXY_START_DEADLINE = 60.0

# Retries fast enough for a test, generous enough to outlast the faults (README, "Client").
CLIENT_OPTIONS: Dict[str, Any] = {
    "max_attempts": 15,
    "max_elapsed": 90.0,
    "backoff": Backoff(base=0.02, cap=0.3),
}

Item = Dict[str, Any]


class ScenarioError(Exception):
    """A scenario file this runner does not understand."""


# --- Reading scenarios ---------------------------------------------------------------------------------------------


def _members(where: str, value: Any, required: AbstractSet[str], optional: AbstractSet[str] = frozenset()) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected an object, got {value!r}")
    missing = required - value.keys()
    unknown = value.keys() - required - optional
    if missing:
        raise ScenarioError(f"{where}: missing {sorted(missing)}")
    if unknown:
        raise ScenarioError(f"{where}: unknown member(s) {sorted(unknown)}")
    return value


def _int(where: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ScenarioError(f"{where}: expected an integer >= {low}, got {value!r}")
    return value


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: expected a string, got {value!r}")
    return value


def expand_items(where: str, value: Any) -> List[Item]:
    """A literal array of objects, or ``{"generate": {"count", "prefix", "pad", "start"?}}``."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ScenarioError(f"{where}[{index}]: an item must be an object, got {item!r}")
        return [dict(item) for item in value]
    spec = _members(where, value, {"generate"})["generate"]
    spec = _members(f"{where}.generate", spec, {"count", "prefix", "pad"}, {"start"})
    count = _int(f"{where}.generate.count", spec["count"])
    prefix = _str(f"{where}.generate.prefix", spec["prefix"])
    pad = "x" * _int(f"{where}.generate.pad", spec["pad"])
    start = _int(f"{where}.generate.start", spec.get("start", 0))
    return [{"id": f"{prefix}{i}", "n": i, "pad": pad} for i in range(start, start + count)]


@dataclass
class Step:
    op: str
    raw: Dict[str, Any]
    items: List[Item] = field(default_factory=list)


STEP_MEMBERS: Dict[str, Tuple[Set[str], Set[str]]] = {
    "ingest": ({"op", "items"}, {"per_call", "concurrency", "error"}),
    "delete": ({"op", "keys"}, set()),
    "replace": ({"op", "items"}, set()),
    "clear": ({"op"}, set()),
    "batch": ({"op", "items", "max_items"}, {"failed"}),
    "expect": ({"op", "items"}, set()),
}


def read_step(where: str, value: Any, item_key: Optional[str]) -> Step:
    if not isinstance(value, dict) or not isinstance(value.get("op"), str):
        raise ScenarioError(f"{where}: a step is an object with a string op, got {value!r}")
    op = value["op"]
    if op not in STEP_MEMBERS:
        raise ScenarioError(f"{where}: unknown op {op!r}; known: {sorted(STEP_MEMBERS)}")
    required, optional = STEP_MEMBERS[op]
    _members(f"{where} ({op})", value, required, optional)
    step = Step(op=op, raw=value)
    if "items" in value:
        step.items = expand_items(f"{where}.items", value["items"])
    if op == "ingest":
        if "per_call" in value:
            _int(f"{where}.per_call", value["per_call"], 1)
        if "concurrency" in value:
            _int(f"{where}.concurrency", value["concurrency"], 1)
        if "error" in value:
            error = _members(f"{where}.error", value["error"], {"status", "code", "detail_indexes"})
            _int(f"{where}.error.status", error["status"], 100)
            _str(f"{where}.error.code", error["code"])
            if not isinstance(error["detail_indexes"], list):
                raise ScenarioError(f"{where}.error.detail_indexes: expected an array")
            for index in error["detail_indexes"]:
                _int(f"{where}.error.detail_indexes[]", index)
            if "per_call" in value or "concurrency" in value:
                raise ScenarioError(f"{where}: an ingest with an error is one call; per_call/concurrency make no sense")
    elif op == "delete":
        if item_key is None:
            raise ScenarioError(f"{where}: delete needs the connector's item_key")
        keys = value["keys"]
        if not isinstance(keys, list) or not all(isinstance(k, (str, int, float)) and not isinstance(k, bool) for k in keys):
            raise ScenarioError(f"{where}.keys: expected an array of strings or numbers, got {keys!r}")
    elif op == "batch":
        _int(f"{where}.max_items", value["max_items"], 1)
        if "failed" in value:
            failed = _members(f"{where}.failed", value["failed"], {"status", "code", "ids", "rejected_ids"})
            _int(f"{where}.failed.status", failed["status"], 100)
            _str(f"{where}.failed.code", failed["code"])
            for name in ("ids", "rejected_ids"):
                if not isinstance(failed[name], list) or not all(isinstance(i, str) for i in failed[name]):
                    raise ScenarioError(f"{where}.failed.{name}: expected an array of strings")
    return step


@dataclass
class Scenario:
    name: str
    description: str
    item_key: Optional[str]
    schema: Optional[Dict[str, Any]]
    faults: List[str]
    steps: List[Step]
    proxy: Dict[str, Any]


def load_scenario(path: Path) -> Scenario:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ScenarioError(f"{path.name}: not JSON: {error}") from error
    where = path.name
    _members(where, raw, {"name", "description", "connector", "schema", "faults", "steps", "proxy"})
    name = _str(f"{where}.name", raw["name"])
    if name != path.stem:
        raise ScenarioError(f"{where}: name {name!r} is not the file's name without .json")
    description = _str(f"{where}.description", raw["description"])
    connector = _members(f"{where}.connector", raw["connector"], {"item_key"})
    item_key = connector["item_key"]
    if item_key is not None:
        _str(f"{where}.connector.item_key", item_key)
    schema = raw["schema"]
    if schema is not None and not isinstance(schema, dict):
        raise ScenarioError(f"{where}.schema: expected an object or null")
    faults = raw["faults"]
    if not isinstance(faults, list) or not all(isinstance(f, str) and f in FAULTS for f in faults):
        raise ScenarioError(f"{where}.faults: expected an array of {sorted(FAULTS)}, got {faults!r}")
    if not isinstance(raw["steps"], list) or not raw["steps"]:
        raise ScenarioError(f"{where}.steps: expected a non-empty array")
    steps = [read_step(f"{where}.steps[{i}]", step, item_key) for i, step in enumerate(raw["steps"])]
    proxy = _members(f"{where}.proxy", raw["proxy"], set(), {"all_faults_used", "max_body_bytes", "min_batches"})
    if "all_faults_used" in proxy and not isinstance(proxy["all_faults_used"], bool):
        raise ScenarioError(f"{where}.proxy.all_faults_used: expected a boolean")
    for name_ in ("max_body_bytes", "min_batches"):
        if name_ in proxy:
            _int(f"{where}.proxy.{name_}", proxy[name_], 1)
    return Scenario(name, description, item_key, schema, list(faults), steps, dict(proxy))


def scenario_files() -> List[Path]:
    return sorted(SCENARIOS.glob("*.json"))


# --- Comparing streams ---------------------------------------------------------------------------------------------


def js_string(value: Any) -> str:
    """``String(value)`` as the spec (and JavaScript) means it, for the key values JSON items carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    raise AssertionError(f"an item key must be a string or a number, got {value!r}")


def canonical(value: Any) -> Any:
    """A JSON value in a form where equality is JSON's deep equality: booleans are not numbers, 1 equals 1.0."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, list):
        return ("array", tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, canonical(v)) for k, v in value.items())))
    raise AssertionError(f"not a JSON value: {value!r}")


def comparable(item_key: Optional[str], pairs: Sequence[Tuple[str, Any]]) -> Any:
    """With an item key, ``{key: value}`` (keys unique); keyless, the values as a multiset."""
    if item_key is None:
        return Counter(json.dumps(canonical(value)) for _, value in pairs)
    out: Dict[str, Any] = {}
    for key, value in pairs:
        assert key not in out, f"the key {key!r} appears twice"
        out[key] = canonical(value)
    return out


def expected_stream(item_key: Optional[str], items: Sequence[Item]) -> Any:
    if item_key is None:
        return comparable(None, [("", item) for item in items])
    return comparable(item_key, [(js_string(item[item_key]), item) for item in items])


# --- The server, the proxy --------------------------------------------------------------------------------------------


def admin_get(server: Server, path: str) -> Any:
    response = httpx.get(server.url + path, headers={"Authorization": f"Bearer {server.admin_token}"}, timeout=30)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def stream_pairs(server: Server, stream: str) -> List[Tuple[str, Any]]:
    data = admin_get(server, f"/api/streams/{stream}/items")["data"]
    assert data["stream"] == stream
    return [(item["key"], item["value"]) for item in data["items"]]


def connector_logs(server: Server, connector: Connector) -> List[Dict[str, Any]]:
    """Every log entry of the connector, page by page (``limit=200``, following ``next_cursor``)."""
    entries: List[Dict[str, Any]] = []
    cursor: Optional[str] = None
    while True:
        query = f"limit=200&cursor={cursor}" if cursor else "limit=200"
        body = admin_get(server, f"/api/admin/connectors/{connector.id}/logs?{query}")
        entries.extend(body["data"])
        cursor = body.get("next_cursor")
        if not cursor:
            return entries


def poll(what: str, deadline: float, check: Callable[[], Optional[str]]) -> None:
    """Calls ``check`` until it returns None (done) or the deadline passes; its last answer says what was wrong."""
    until = time.monotonic() + deadline
    while True:
        problem = check()
        if problem is None:
            return
        if time.monotonic() > until:
            raise AssertionError(f"{what} within {deadline:g} s: {problem}")
        time.sleep(0.2)


@dataclass
class FaultProxy:
    url: str
    process: "subprocess.Popen[bytes]"
    stderr: IO[bytes]

    def log(self) -> Dict[str, Any]:
        response = httpx.get(self.url + "/__conformance/log", timeout=30)
        assert response.status_code == 200, response.text
        value = response.json()
        assert isinstance(value, dict)
        return value

    def errors(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-4000:]


@pytest.fixture
def start_proxy(server: Server) -> Iterator[Callable[[List[str]], FaultProxy]]:
    started: List[FaultProxy] = []

    def start(faults: List[str]) -> FaultProxy:
        stderr = tempfile.TemporaryFile()
        process = subprocess.Popen(
            [str(NODE), str(FAULT_PROXY), "--upstream", server.url, "--faults", json.dumps(faults)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
        )
        proxy = FaultProxy(url="", process=process, stderr=stderr)
        started.append(proxy)
        # The first line of stdout is {"url": ...}; read it on a thread so that a silent proxy cannot hang the test.
        line: List[bytes] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else b""))
        reader.start()
        reader.join(PROXY_START_DEADLINE)
        if not line or not line[0]:
            raise AssertionError(f"the fault proxy printed no URL:\n{proxy.errors()}")
        proxy.url = json.loads(line[0])["url"]
        assert proxy.url.startswith("http://127.0.0.1:"), proxy.url
        return proxy

    yield start
    for proxy in started:
        # It exits when its stdin closes; SIGKILL only if it does not.
        if proxy.process.stdin:
            proxy.process.stdin.close()
        try:
            proxy.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proxy.process.kill()
            proxy.process.wait(timeout=15)
        if proxy.process.stdout:
            proxy.process.stdout.close()
        proxy.stderr.close()


# --- Running steps -------------------------------------------------------------------------------------------------


@dataclass
class Run:
    scenario: Scenario
    server: Server
    connector: Connector
    proxy: FaultProxy
    client: Client


def wait_settled(run: Run) -> List[Dict[str, Any]]:
    """Waits until the connector's log is settled; returns it.

    Settled: one entry, none ``queued`` and none ``failed``, for every ingest request the server has seen so far
    (the sum of ``forwarded`` over the proxy's log). "Nothing queued" alone is not enough: the stream writes an
    accepted request's entry once it has applied it, so a request can be in no entry at all for a moment.
    """
    seen = sum(int(request["forwarded"]) for request in run.proxy.log()["requests"])
    logs: List[Dict[str, Any]] = []

    def check() -> Optional[str]:
        nonlocal logs
        logs = connector_logs(run.server, run.connector)
        statuses = Counter(str(entry["status"]) for entry in logs)
        unsettled = [entry for entry in logs if entry["status"] in ("queued", "failed")]
        if len(logs) == seen and not unsettled:
            return None
        return f"{len(logs)} entries for {seen} requests the server saw, {dict(statuses)}; unsettled: {unsettled[:3]}"

    poll("the connector's log is settled", SETTLE_DEADLINE, check)
    return logs


def slices(items: List[Item], per_call: Optional[int]) -> List[List[Item]]:
    size = per_call or len(items)
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def run_ingest(run: Run, step: Step) -> None:
    raw = step.raw
    if "error" in raw:
        run_failing_ingest(run, step, raw["error"])
        return
    calls = slices(step.items, raw.get("per_call"))
    concurrency = min(raw.get("concurrency", 1), len(calls))
    results: List[IngestResult] = []
    if concurrency == 1:
        results = [run.client.ingest(call) for call in calls]
    else:
        in_flight = 0
        most = 0

        async def all_calls() -> List[IngestResult]:
            gate = asyncio.Semaphore(concurrency)
            async with AsyncClient(run.connector.key, run.proxy.url, **CLIENT_OPTIONS) as client:

                async def one(call: List[Item]) -> IngestResult:
                    nonlocal in_flight, most
                    async with gate:
                        in_flight += 1
                        most = max(most, in_flight)
                        try:
                            return await client.ingest(call)
                        finally:
                            in_flight -= 1

                return list(await asyncio.gather(*(one(call) for call in calls)))

        results = asyncio.run(all_calls())
        assert most == concurrency, f"{most} calls in flight at most, expected {concurrency}"
    for call, result in zip(calls, results):
        assert result.stream == run.connector.stream
        assert result.items_received == len(call)


def run_failing_ingest(run: Run, step: Step, expected: Mapping[str, Any]) -> None:
    # Nothing of the call may be applied: the stream, once nothing is on its way, is the same after it as before.
    wait_settled(run)
    before = comparable(run.scenario.item_key, stream_pairs(run.server, run.connector.stream))
    key = f"conformance-{uuid.uuid4().hex}"
    try:
        run.client.ingest(step.items, idempotency_key=key)
    except DataPoolError as raised:
        error = raised
    else:
        raise AssertionError(f"the call succeeded; expected {expected['status']} {expected['code']}")
    assert not isinstance(error, BatchError)
    assert (error.status, error.code) == (expected["status"], expected["code"]), repr(error)
    assert {detail.index for detail in error.details} == set(expected["detail_indexes"]), error.details
    assert error.request_id is not None
    logs = wait_settled(run)
    mine = [entry for entry in logs if entry.get("idempotency_key") == key]
    assert mine and all(entry["status"] == "rejected" for entry in mine), mine
    after = comparable(run.scenario.item_key, stream_pairs(run.server, run.connector.stream))
    assert after == before, "a refused call changed the stream"


def run_batch(run: Run, step: Step) -> None:
    raw = step.raw
    accepted: List[Mapping[str, Any]] = []

    def on_batch(result: IngestResult, items: List[Mapping[str, Any]]) -> None:
        accepted.extend(items)

    # Batches are cut by count and bytes only (a flush timer would make their boundaries depend on the machine's
    # speed, and the scenario names the items of each failed batch); close() sends the rest.
    batcher = run.client.batcher(max_items=raw["max_items"], flush_interval=3600, on_batch=on_batch)
    for item in step.items:
        batcher.add(item)
    failure: Optional[BatchError] = None
    try:
        batcher.close()
    except BatchError as error:
        failure = error
    failed_items: List[Mapping[str, Any]] = []
    if "failed" not in raw:
        assert failure is None, f"the batcher reported failures: {failure!r} {failure.failures if failure else ''}"
    else:
        expected = raw["failed"]
        assert failure is not None, "closing the batcher reported no failure"
        assert failure.failures
        for batch in failure.failures:
            assert (batch.error.status, batch.error.code) == (expected["status"], expected["code"]), repr(batch.error)
            failed_items.extend(batch.items)
        assert sorted(js_string(item["id"]) for item in failed_items) == sorted(expected["ids"])
        rejected = [entry for batch in failure.failures for entry in batch.rejected]
        assert sorted(js_string(entry.item["id"]) for entry in rejected) == sorted(expected["rejected_ids"])
        for entry in rejected:
            assert entry.problems, f"{entry.item!r} is reported refused without a problem"
    # Nothing swallowed: every item was either accepted in a batch or reported in a failed one, once.
    everything = Counter(json.dumps(canonical(item)) for item in step.items)
    assert Counter(json.dumps(canonical(item)) for item in accepted + failed_items) == everything


def run_expect(run: Run, step: Step) -> None:
    item_key = run.scenario.item_key
    expected = expected_stream(item_key, step.items)
    stream = run.connector.stream

    def difference() -> Optional[str]:
        actual = comparable(item_key, stream_pairs(run.server, stream))
        return None if actual == expected else describe(actual, expected)

    poll("the stream holds exactly the expected items", STREAM_DEADLINE, difference)
    wait_settled(run)
    problem = difference()
    assert problem is None, f"the stream changed once the log was settled: {problem}"


def describe(actual: Any, expected: Any) -> str:
    if isinstance(expected, Counter):
        return f"{sum(actual.values())} values, expected {sum(expected.values())}; missing {len(expected - actual)}, extra {len(actual - expected)}: {list((actual - expected).elements())[:3]}"
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(k for k in set(actual) & set(expected) if actual[k] != expected[k])
    return f"{len(actual)} items, expected {len(expected)}; missing {missing[:5]}, extra {extra[:5]}, different {changed[:5]}"


def run_step(run: Run, step: Step) -> None:
    if step.op == "ingest":
        run_ingest(run, step)
    elif step.op == "delete":
        assert run.scenario.item_key is not None
        result = run.client.delete(step.raw["keys"], run.scenario.item_key)
        assert result.items_received == len(step.raw["keys"])
    elif step.op == "replace":
        result = run.client.replace(step.items)
        assert result.items_received == len(step.items)
    elif step.op == "clear":
        run.client.clear()
    elif step.op == "batch":
        run_batch(run, step)
    elif step.op == "expect":
        run_expect(run, step)
    else:  # read_step refuses unknown ops; this keeps a new op in STEP_MEMBERS from passing silently
        raise ScenarioError(f"no runner for op {step.op!r}")


def check_proxy(scenario: Scenario, proxy: FaultProxy) -> None:
    log = proxy.log()
    requests: List[Dict[str, Any]] = log["requests"]
    assert requests, "no ingest request went through the proxy"
    if scenario.proxy.get("all_faults_used"):
        assert log["unusedFaults"] == [], f"faults never met: {log['unusedFaults']}"
    if "max_body_bytes" in scenario.proxy:
        biggest = max(request["bodyBytes"] for request in requests)
        assert biggest <= scenario.proxy["max_body_bytes"], f"an ingest body of {biggest} bytes"
    if "min_batches" in scenario.proxy:
        keys = {request["idempotencyKey"] for request in requests}
        assert None not in keys, "an ingest request without an Idempotency-Key"
        assert len(keys) >= scenario.proxy["min_batches"], f"{len(keys)} distinct Idempotency-Keys"


# --- The tests -----------------------------------------------------------------------------------------------------


def test_the_scenarios_are_there() -> None:
    names = [path.stem for path in scenario_files()]
    assert {"a-b-a", "batcher-3mb", "burst", "delete-replace", "schema-rejection"} <= set(names), names


def test_generated_items_are_as_the_format_says() -> None:
    assert expand_items("x", {"generate": {"count": 2, "prefix": "p", "pad": 3, "start": 5}}) == [
        {"id": "p5", "n": 5, "pad": "xxx"},
        {"id": "p6", "n": 6, "pad": "xxx"},
    ]
    assert expand_items("x", {"generate": {"count": 1, "prefix": "q", "pad": 0}}) == [{"id": "q0", "n": 0, "pad": ""}]


@pytest.mark.parametrize(
    "document",
    [
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "expect", "items": []}], "proxy": {}, "extra": 1},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": ["flood"], "steps": [{"op": "expect", "items": []}], "proxy": {}},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "upsert", "items": []}], "proxy": {}},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "expect", "items": [], "within": 3}], "proxy": {}},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "expect", "items": {"generate": {"count": 1, "prefix": "p", "pad": 1, "step": 2}}}], "proxy": {}},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "expect", "items": []}], "proxy": {"max_requests": 3}},
        {"name": "y", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "expect", "items": []}], "proxy": {}},
        {"name": "x", "description": "", "connector": {"item_key": None}, "schema": None, "faults": [], "steps": [{"op": "delete", "keys": ["a"]}], "proxy": {}},
    ],
    ids=["top-level", "fault", "op", "step-member", "generator", "proxy-check", "name", "keyless-delete"],
)
def test_a_scenario_it_does_not_understand_fails_loudly(tmp_path: Path, document: Dict[str, Any]) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_streams_compare_as_the_spec_says() -> None:
    assert expected_stream("id", [{"id": 1, "v": True}]) == comparable("id", [("1", {"v": True, "id": 1.0})])
    assert expected_stream("id", [{"id": "a", "v": True}]) != comparable("id", [("a", {"id": "a", "v": 1})])
    assert expected_stream(None, [{"n": 1}, {"n": 1}]) != comparable(None, [("k1", {"n": 1})])
    assert expected_stream(None, [{"n": 1}, {"n": 2}]) == comparable(None, [("k2", {"n": 2}), ("k1", {"n": 1})])


# An empty directory must fail, not skip: it then runs one case on a file that does not exist.
SCENARIO_FILES = scenario_files() or [SCENARIOS / "no-scenario-files.json"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[path.stem for path in SCENARIO_FILES])
def test_scenario(path: Path, server: Server, start_proxy: Callable[[List[str]], FaultProxy]) -> None:
    scenario = load_scenario(path)
    connector = server.connector(item_key=scenario.item_key, rate_limit={"requests": 100_000, "period_seconds": 60})
    if scenario.schema is not None:
        server.admin("PATCH", f"/api/admin/streams/{connector.stream}", json={"schema": scenario.schema})
    proxy = start_proxy(scenario.faults)
    with Client(connector.key, proxy.url, **CLIENT_OPTIONS) as client:
        run = Run(scenario=scenario, server=server, connector=connector, proxy=proxy, client=client)
        for index, step in enumerate(scenario.steps):
            try:
                run_step(run, step)
            except AssertionError as error:
                raise AssertionError(f"{scenario.name}, step {index} ({step.op}): {error}") from error
            except DataPoolError as error:
                raise AssertionError(f"{scenario.name}, step {index} ({step.op}): unexpected {error!r}") from error
    check_proxy(scenario, proxy)
