"""Work spread over every core, results in input order (parsing, rendering, link scans)."""

from __future__ import annotations

import os
from typing import Any

PARALLEL_MIN = 48  # below this, starting worker processes costs more than it saves

# The work of the map in progress: the forked workers inherit it, so neither the items nor
# the arguments are pickled to them (only each item's index, and its result back).
_job: tuple[Any, list[Any], tuple[Any, ...]] | None = None


def parallel_map(func: Any, items: list[Any], *args: Any) -> list[Any]:
    """``[func(item, *args) for item in items]`` on every core, results in input order."""
    global _job
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        return [func(item, *args) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(items) // (workers * 4))
    context = multiprocessing.get_context("fork")
    _job = (func, items, args)
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return list(pool.map(_apply, range(len(items)), chunksize=chunk))
    finally:
        _job = None


def _apply(index: int) -> Any:
    assert _job is not None  # set before the workers were forked
    func, items, args = _job
    return func(items[index], *args)
