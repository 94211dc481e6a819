#!/usr/bin/env bash
# The API fuzzed from its own document (issue 14), as CI runs it, from the repo root:
#   1. Schemathesis from PyPI, pinned, in .venv-fuzz;
#   2. scripts/api-fuzz.ts: a real `npm start` server, a connector and an ingest key made through the admin API,
#      the drift check of openapi.json against the document that server serves, then Schemathesis over every
#      operation with every check (scripts/api-fuzz/schemathesis.toml), seed and test volume fixed.
# Exits non-zero on drift, on any Schemathesis failure or error, or when the server does not start.
# Needs `npm ci` done (Node 24 and wrangler come from node_modules) and python3 >= 3.10.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.venv-fuzz
if [[ ! -x "$VENV/bin/st" ]] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION$"; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

export PATH="$PWD/node_modules/.bin:$PATH"
SCHEMATHESIS="$PWD/$VENV/bin/st" node scripts/api-fuzz.ts
