"""W4 in asyncio: N one-second sleeps, each under asyncio.timeout(0.01), run by 1000 workers.

Each operation records how far past its 10 ms budget it returned; all must time out."""
import asyncio
import time

from common import report, size

SLEEP_S = 1.0
TIMEOUT_S = 0.010
CONCURRENCY = 1000


async def main(n: int) -> tuple[list[float], int]:
    overshoots: list[float] = []
    timed_out = 0
    remaining = iter(range(n))

    async def worker() -> None:
        nonlocal timed_out
        for _ in remaining:
            start = time.perf_counter()
            try:
                async with asyncio.timeout(TIMEOUT_S):
                    await asyncio.sleep(SLEEP_S)
            except TimeoutError:
                timed_out += 1
            overshoots.append((time.perf_counter() - start - TIMEOUT_S) * 1000)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(CONCURRENCY, n)):
            group.create_task(worker())
    return overshoots, timed_out


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    overshoots, timed_out = asyncio.run(main(n))
    ordered = sorted(overshoots)
    mean = sum(ordered) / max(1, len(ordered))
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    report(
        timed_out == n and len(ordered) == n,
        f"{timed_out}/{n} timed out",
        {"mean over ms": mean, "p99 over ms": p99},
        started=started,
    )
