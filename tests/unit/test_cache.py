"""Checksummed cache entries and pruning (site_builder/cache.py)."""

import os
import time

from site_builder import cache


def test_cache_entries_detect_damage_and_are_pruned(tmp_path):
    path = cache.entry_path(tmp_path, "ab" * 32, ".txt")
    cache.write_entry(path, "ab" * 32, b"payload")
    assert cache.read_entry(path, "ab" * 32) == b"payload"
    assert cache.read_entry(path, "cd" * 32) is None  # another key: foreign, removed
    cache.write_entry(path, "ab" * 32, b"payload")
    path.write_bytes(path.read_bytes().replace(b"payload", b"paylOad"))
    assert cache.read_entry(path, "ab" * 32) is None and not path.exists()
    old = cache.entry_path(tmp_path, "ef" * 32, ".txt")
    cache.write_entry(old, "ef" * 32, b"old")
    os.utime(old, (time.time() - 100, time.time() - 100))
    cache.write_entry(path, "ab" * 32, b"new")
    since = cache.now(tmp_path) - 10
    assert cache.prune(tmp_path, since) == 1 and path.exists() and not old.exists()
