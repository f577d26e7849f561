"""One build at a time per project (site_builder/lock.py)."""

import os

import pytest

from site_builder.lock import Busy, build_lock


def test_the_lock_is_exclusive(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(Busy) as info, build_lock(tmp_path, wait=False):
            pass
        assert str(info.value) == str(os.getpid())
    with build_lock(tmp_path, wait=False):  # released
        pass
