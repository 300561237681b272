"""Timing and memory helpers shared by workloads.

>>> calls, seconds = rate(lambda i: None, calls=1000, budget_s=1.0)
>>> calls
1000
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from typing import Callable

#: ru_maxrss is in kilobytes on Linux, bytes on macOS.
_MAXRSS_SCALE = 1024 * 1024 if sys.platform == "darwin" else 1024


def rate(fn: Callable[[int], object], calls: int, budget_s: float = 10.0, min_calls: int = 20) -> tuple[int, float]:
    """Call ``fn(i)`` for i = 0, 1, ... up to ``calls`` times or until ``budget_s`` ran out.

    At least ``min_calls`` calls are made. Returns (calls made, seconds taken),
    so a slow backend is measured over fewer calls instead of running for minutes.
    """
    clock = time.perf_counter
    start = clock()
    deadline = start + budget_s
    done = 0
    while done < calls:
        fn(done)
        done += 1
        if done >= min_calls and clock() > deadline:
            break
    return done, clock() - start


def timings_ms(fn: Callable[[int], object], repeats: int, budget_s: float = 10.0, min_repeats: int = 3) -> list[float]:
    """Time ``fn(i)`` ``repeats`` times (fewer if ``budget_s`` ran out, at least ``min_repeats``)."""
    clock = time.perf_counter
    deadline = clock() + budget_s
    out: list[float] = []
    for i in range(repeats):
        t0 = clock()
        fn(i)
        out.append((clock() - t0) * 1000.0)
        if len(out) >= min_repeats and clock() > deadline:
            break
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _MAXRSS_SCALE


def current_rss_mb() -> float:
    """Resident memory right now, in MB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and all its descendants, in MiB (Linux ``/proc``).

    >>> tree_rss_mb(os.getpid()) > 0
    True
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024.0
