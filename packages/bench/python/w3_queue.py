"""W3 in asyncio: one producer feeds N integers through asyncio.Queue(maxsize=1000) to four consumers.

The consumers stop on a None put once per consumer (asyncio.Queue has no end-of-input state).
The sum proves nothing was lost; the per-consumer counts show how the work was shared.
"""
import asyncio
import time

from common import report, size

CONSUMERS = 4
CAPACITY = 1000


async def main(n: int) -> tuple[int, list[int]]:
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=CAPACITY)
    counts = [0] * CONSUMERS
    total = 0

    async def consume(index: int) -> None:
        nonlocal total
        while True:
            value = await queue.get()
            if value is None:
                return
            total += value
            counts[index] += 1

    async with asyncio.TaskGroup() as group:
        for index in range(CONSUMERS):
            group.create_task(consume(index))
        for value in range(n):
            await queue.put(value)
        for _ in range(CONSUMERS):
            await queue.put(None)
    return total, counts


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    total, counts = asyncio.run(main(n))
    shares = [c / n * CONSUMERS * 100 for c in counts]
    report(
        sum(counts) == n and total == n * (n - 1) // 2,
        "per consumer: " + " / ".join(str(c) for c in counts),
        {"min share %": round(min(shares)), "max share %": round(max(shares))},
        started=started,
    )
