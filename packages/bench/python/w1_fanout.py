"""W1 in asyncio: a TaskGroup of N tasks, each yielding once to the loop and returning its index."""
import asyncio
import time

from common import report, size


async def task(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def main(n: int) -> list[int]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(task(i)) for i in range(n)]
    return [t.result() for t in tasks]


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    values = asyncio.run(main(n))
    report(len(values) == n and sum(values) == n * (n - 1) // 2, f"got {len(values)} results", started=started)
