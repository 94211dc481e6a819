"""The README's example: ingest, delete/replace/clear, the batcher, errors.

DATAPOOL_URL=http://localhost:8787 DATAPOOL_INGEST_KEY=ik_live_… python sdks/python/examples/quick_start.py
(the connector's items should be keyed by "region", or the connector have no item_key).
"""

from __future__ import annotations

import os
import sys

from datapool_ingest import BatchError, Client, DataPoolError


def main() -> int:
    url = os.environ.get("DATAPOOL_URL", "http://localhost:8787")
    key = os.environ["DATAPOOL_INGEST_KEY"]
    with Client(key, url, timeout=30, max_attempts=5, max_elapsed=60) as client:
        try:
            result = client.ingest(
                [{"region": "North", "revenue": 1200}, {"region": "South", "revenue": 900}],
                item_key="region",
            )
            print(result)
        except DataPoolError as error:
            print(error.code, error.status, error.request_id, error.retry_after, error.details, file=sys.stderr)
            return 1

        client.delete(["North", "South"], item_key="region")
        client.replace([{"region": "West", "revenue": 300}], item_key="region")
        client.clear()

        try:
            with client.batcher(
                item_key="region",
                max_items=500,
                max_bytes=900 * 1024,
                flush_interval=1.0,
                max_buffered_items=10_000,
                on_batch=lambda result, items: print(len(items), "accepted", result.request_id),
            ) as batcher:
                for store in range(1, 1201):
                    batcher.add({"region": f"store-{store}", "revenue": store * 10})
        except BatchError as error:
            for failure in error.failures:
                print(failure.error.code, len(failure.items), "items not applied", file=sys.stderr)
                for rejected in failure.rejected:
                    print("  item", rejected.index, rejected.item, rejected.problems, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
