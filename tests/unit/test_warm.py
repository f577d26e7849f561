"""warm.py: which cells an edit reaches (cells_to_rerun), read from the cells' syntax.
A warm runner's processes are tested on whole articles in tests/site/test_warm.py."""

from site_builder.runtime.program import CellCode
from site_builder.warm import cells_to_rerun, effects


def cells(*codes: str) -> list[CellCode]:
    return [CellCode(i, code, 10 * i + 2, False) for i, code in enumerate(codes)]


def test_an_independent_cell_runs_alone():
    old = cells("import time\na = 1", "import time\nb = 2", "import time\nc = 3")
    new = cells("import time\na = 1", "import time\nb = 20", "import time\nc = 3")
    assert cells_to_rerun(old, new) == ([1], ["b", "time"])


def test_readers_of_what_a_cell_binds_run_again_in_order():
    old = cells("k = 2", "def f(x):\n    return k * x", "y = f(3)", "z = 1")
    new = cells("k = 3", "def f(x):\n    return k * x", "y = f(3)", "z = 1")
    # f reads k when called: the cell defining f, and the cell calling it, run again
    assert cells_to_rerun(old, new) == ([0, 1, 2], ["f", "k", "y"])


def test_a_name_the_old_version_bound_is_forgotten_and_its_readers_run():
    old = cells("a = 1\nb = 2", "c = b + 1")
    new = cells("a = 1", "c = b + 1")
    assert cells_to_rerun(old, new) == ([0, 1], ["a", "b", "c"])


def test_objects_changed_in_place_tie_their_cells():
    old = cells("xs = []", "xs.append(1)", "n = len(xs)")
    new = cells("xs = []", "xs.append(2)", "n = len(xs)")
    assert cells_to_rerun(old, new) == ([0, 1, 2], ["n", "xs"])
    # a later cell changing what an edited cell reads: the edited cell would see the later
    # value in the kept state, so it cannot be told
    old = cells("xs = [1]", "n = len(xs)", "xs.append(2)")
    new = cells("xs = [1]", "n = len(xs) + 0", "xs.append(2)")
    assert cells_to_rerun(old, new) is None


def test_random_numbers_keep_their_order():
    old = cells("import random\nrandom.seed(1)", "a = random.random()", "b = random.random()")
    new = cells("import random\nrandom.seed(2)", "a = random.random()", "b = random.random()")
    assert cells_to_rerun(old, new)[0] == [0, 1, 2]
    rng = cells("import numpy as np\nr = np.random.default_rng(1)", "a = r.normal()", "q = 1")
    edited = cells("import numpy as np\nr = np.random.default_rng(2)", "a = r.normal()", "q = 1")
    assert cells_to_rerun(rng, edited)[0] == [0, 1]


def test_what_cannot_be_read_from_the_syntax_is_left_to_a_run_from_the_stop():
    for code in ("globals()['a'] = 1", "exec('a = 1')", "from math import *", "a = ("):
        assert cells_to_rerun(cells("a = 0", "b = 1"), cells(code, "b = 1")) is None
    assert cells_to_rerun(cells("a = 1"), cells("a = 1", "b = 2")) is None  # a new cell
    assert cells_to_rerun(cells("a = 1"), cells("a = 1")) is None  # nothing changed


def test_effects_read_functions_and_modules():
    found = effects(
        "import numpy as np\nfrom math import pi\n"
        "def area(r):\n    global calls\n    calls += 1\n    return pi * r ** 2\n"
        "table['a'] = np.linspace(0, 1, 3)\n"
        "total = [v for v in table]\n"
    )
    assert found.binds == {"np", "pi", "area", "calls", "total"}
    assert {"pi", "calls", "np", "table"} <= found.reads
    assert found.mutates == {"table", "calls"}  # np.linspace changes nothing of ours
    assert "v" not in found.binds and "r" not in found.binds  # local names
    assert found.modules == {"np"}
