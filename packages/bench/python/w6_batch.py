"""W6 in asyncio: N tasks through gather(return_exceptions=True); task i fails when i % 20 is 3
(Invalid) or 13 (Unavailable). Failures are grouped by kind and checked against what must happen."""
import asyncio
import time

from common import report, size


class Invalid(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class Unavailable(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def kind_of(i: int):
    if i % 20 == 3:
        return Invalid
    if i % 20 == 13:
        return Unavailable
    return None


async def task(i: int) -> int:
    await asyncio.sleep(0)
    kind = kind_of(i)
    if kind is not None:
        raise kind(i)
    return i


async def main(n: int) -> dict:
    outcomes = await asyncio.gather(*(task(i) for i in range(n)), return_exceptions=True)
    grouped = {"ok": 0, "Invalid": [], "Unavailable": []}
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            grouped[type(outcome).__name__].append(outcome.index)
        else:
            grouped["ok"] += 1
    return grouped


def expected(n: int) -> dict:
    want = {"ok": 0, "Invalid": [], "Unavailable": []}
    for i in range(n):
        kind = kind_of(i)
        if kind is None:
            want["ok"] += 1
        else:
            want[kind.__name__].append(i)
    return want


if __name__ == "__main__":
    n = size()
    want = expected(n)
    started = time.perf_counter()
    got = asyncio.run(main(n))
    ok = (
        got["ok"] == want["ok"]
        and sorted(got["Invalid"]) == want["Invalid"]
        and sorted(got["Unavailable"]) == want["Unavailable"]
    )
    report(
        ok,
        f"{got['ok']} ok, {len(got['Invalid'])} Invalid, {len(got['Unavailable'])} Unavailable",
        {"Invalid": len(got["Invalid"]), "Unavailable": len(got["Unavailable"])},
        started=started,
    )
