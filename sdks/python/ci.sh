#!/usr/bin/env bash
# CI for the Python SDK (sdks/python): a venv, the package with its test extras, mypy, then pytest
# (unit tests over httpx.MockTransport, and integration tests against a real `node scripts/start.ts`
# server that tests/conftest.py starts and stops). Run from the repo root; needs python3 (>= 3.9),
# Node's dependencies (`npm ci`, done here when node_modules is missing) and PyPI.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="$ROOT/sdks/python/.venv"

if [ ! -d node_modules ]; then
	npm ci
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e 'sdks/python[test]'

# The package's type hints hold (strict mode, src only).
(cd sdks/python && "$VENV/bin/python" -m mypy)

# pytest exits 5 when it collects no tests: that is a failure here too, as is any other non-zero exit.
set +e
(cd sdks/python && "$VENV/bin/python" -m pytest -q -p no:cacheprovider)
status=$?
set -e
if [ "$status" -eq 5 ]; then
	echo "sdks/python/ci.sh: pytest collected no tests" >&2
	exit 1
fi
exit "$status"
