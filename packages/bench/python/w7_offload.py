"""W7 in asyncio: N prime sieves (limit 300,000) run through loop.run_in_executor on a
ProcessPoolExecutor of 2 processes, plus the cost of one round trip (a trivial function)."""
import asyncio
import time
from concurrent.futures import ProcessPoolExecutor

from common import report, size

LIMIT = 300_000
PRIMES = 25_997
TRIVIAL_CALLS = 300


def sieve(limit: int) -> int:
    composite = bytearray(limit + 1)
    count = 0
    for i in range(2, limit + 1):
        if composite[i]:
            continue
        count += 1
        composite[i * i :: i] = b"\x01" * len(range(i * i, limit + 1, i))
    return count


def plus_one(x: int) -> int:
    return x + 1


async def main(n: int) -> tuple[list[int], float, float]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, plus_one, 0) for _ in range(2)))  # warm both processes
        start = time.perf_counter()
        counts = await asyncio.gather(*(loop.run_in_executor(pool, sieve, LIMIT) for _ in range(n)))
        jobs_s = n / (time.perf_counter() - start)
        t0 = time.perf_counter()
        for i in range(TRIVIAL_CALLS):
            await loop.run_in_executor(pool, plus_one, i)
        overhead_us = (time.perf_counter() - t0) * 1e6 / TRIVIAL_CALLS
    return counts, jobs_s, overhead_us


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    counts, jobs_s, overhead_us = asyncio.run(main(n))
    right = sum(1 for c in counts if c == PRIMES)
    report(
        right == n,
        f"{right}/{n} right",
        {"jobs/s": round(jobs_s), "µs/round trip": round(overhead_us)},
        started=started,
    )
