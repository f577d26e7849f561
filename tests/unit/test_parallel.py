"""parallel.py: work spread over the cores, results in input order; small jobs stay here."""

import os

import pytest

from site_builder.parallel import PARALLEL_MIN, parallel_map


def square_and_pid(n: int, offset: int) -> tuple[int, int]:
    return n * n + offset, os.getpid()


def test_a_small_job_runs_in_this_process():
    results = parallel_map(square_and_pid, list(range(PARALLEL_MIN - 1)), 1)
    assert [r for r, _ in results] == [n * n + 1 for n in range(PARALLEL_MIN - 1)]
    assert {pid for _, pid in results} == {os.getpid()}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: everything runs here")
def test_a_large_job_runs_in_workers_and_keeps_the_order():
    items = list(range(PARALLEL_MIN * 4))
    results = parallel_map(square_and_pid, items, 0)
    assert [r for r, _ in results] == [n * n for n in items]
    assert os.getpid() not in {pid for _, pid in results}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: everything runs here")
def test_the_workers_inherit_the_items_and_arguments_unpickled():
    """What the work reads (parsed articles, rendered pages) is not copied to the workers:
    they are forked with it. A lock cannot be pickled: passing one as an argument proves it."""
    import threading

    lock = threading.Lock()
    items = [threading.Lock() for _ in range(PARALLEL_MIN)]
    results = parallel_map(lambda item, shared: (item.locked(), shared.locked()), items, lock)
    assert results == [(False, False)] * PARALLEL_MIN
