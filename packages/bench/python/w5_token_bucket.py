"""W5 in asyncio: N tasks at once through one token bucket (1000/s, burst 10) guarded by an asyncio.Lock.

Records when each request was let through; correct means no one-second window admitted more than 1010.
"""
import asyncio
import time

from common import report, size

RATE = 1000.0
BURST = 10.0
BOUND = int(RATE + BURST)


class Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.perf_counter()
        # The lock makes waiters queue in arrival order, one refill computation at a time.
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        async with self.lock:
            while True:
                now = time.perf_counter()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


async def main(n: int) -> list[float]:
    bucket = Bucket(RATE, BURST)
    starts: list[float] = []

    async def request() -> None:
        await bucket.take()
        starts.append(time.perf_counter() * 1000)

    async with asyncio.TaskGroup() as group:
        for _ in range(n):
            group.create_task(request())
    return starts


def evaluate(starts: list[float], n: int) -> None:
    ordered = sorted(starts)
    widest = 0
    lo = 0
    for hi in range(len(ordered)):
        while ordered[hi] - ordered[lo] >= 1000:
            lo += 1
        widest = max(widest, hi - lo + 1)
    span = (ordered[-1] - ordered[0]) / 1000 if len(ordered) > BURST else 0
    achieved = (len(ordered) - BURST) / span if span > 0 else 0
    ok = len(ordered) == n and widest <= BOUND
    report(ok, f"max window {widest}, {round(achieved)}/s", {"max window": widest, "rate/s": round(achieved)},
           started=started)


if __name__ == "__main__":
    n = size()
    started = time.perf_counter()
    evaluate(asyncio.run(main(n)), n)
