"""W2 in asyncio: 100 workers pull items from one iterator; each item yields to the loop once and gives i * 2."""
import asyncio
import time

from common import report, size

CONCURRENCY = 100


async def main(n: int) -> tuple[int, int]:
    items = iter(range(n))
    total = 0
    running = 0
    peak = 0

    async def worker() -> None:
        nonlocal total, running, peak
        for i in items:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0)
            total += i * 2
            running -= 1

    async with asyncio.TaskGroup() as group:
        for _ in range(CONCURRENCY):
            group.create_task(worker())
    return total, peak


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    total, peak = asyncio.run(main(n))
    ok = total == n * (n - 1) and peak <= CONCURRENCY
    report(ok, f"sum {total}, peak in flight {peak}", {"peak in flight": peak}, started=started)
