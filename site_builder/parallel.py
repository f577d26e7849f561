"""Work spread over every core, results in input order (parsing and rendering)."""

from __future__ import annotations

import functools
import os
from typing import Any

PARALLEL_MIN = 48  # below this, starting worker processes costs more than it saves


def parallel_map(func: Any, items: list[Any], *args: Any) -> list[Any]:
    """``[func(item, *args) for item in items]`` on every core, results in input order."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        return [func(item, *args) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(items) // (workers * 4))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(functools.partial(_apply, func, args), items, chunksize=chunk))


def _apply(func: Any, args: tuple[Any, ...], item: Any) -> Any:
    return func(item, *args)
