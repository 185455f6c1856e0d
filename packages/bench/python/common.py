"""Shared by the asyncio counterparts: time one run and print the result line the bench runner reads."""
import json
import resource
import sys
import time


def report(ok: bool, detail: str | None = None, metrics: dict | None = None, started: float | None = None) -> None:
    result = {"ok": ok, "ms": (time.perf_counter() - started) * 1000 if started is not None else 0.0}
    # ru_maxrss is in kilobytes on Linux.
    result["peakRssMb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if detail is not None:
        result["detail"] = detail
    if metrics is not None:
        result["metrics"] = metrics
    sys.stdout.write("\n@@result " + json.dumps(result) + "\n")


def size() -> int:
    return int(sys.argv[1])
