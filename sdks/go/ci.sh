#!/usr/bin/env bash
# The Go SDK's CI: vet, then every test (unit tests on httptest, and integration tests against a
# real server that the tests start with `node scripts/start.ts`; needs `npm ci` done at the root).
# Runnable from anywhere; needs Go ≥ 1.22 on PATH and nothing from the network.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
go version
go vet ./...
go test -count=1 -timeout 5m ./...
