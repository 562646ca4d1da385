"""What every benchmark reports about the machine it ran on."""
from __future__ import annotations

import os
import platform
import statistics
import time


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def machine() -> str:
    """`2 CPUs (AMD EPYC ...), 23.5 GiB RAM, Python 3.11.7`: the line each results file starts from."""
    return f"{os.cpu_count()} CPUs ({cpu_model()}), {memory_gib():.1f} GiB RAM, Python {platform.python_version()}"


def time_calls(fn, args_list) -> list[float]:
    """Milliseconds of `fn(*args)` for each args tuple, one call at a time."""
    out = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t) * 1000)
    return out


def p50_p95(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
