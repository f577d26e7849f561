"""The article's build-time numbers against the reference figures (exact where they are exact)."""

import hashlib
import sys
from pathlib import Path

import pytest

BUNDLE = Path(__file__).resolve().parent.parent.parent / "content" / "neural-network-math"
POST = (-0.016852, 0.704039, -0.116309)


@pytest.fixture(scope="module")
def t():
    sys.path.insert(0, str(BUNDLE))
    import train

    yield train
    sys.path.remove(str(BUNDLE))


@pytest.fixture(scope="module")
def df(t):
    return t.load_passengers(str(BUNDLE / "data" / "train.csv"))


def test_data_is_the_documented_file():
    digest = hashlib.sha256((BUNDLE / "data" / "train.csv").read_bytes()).hexdigest()
    assert digest == "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"
    assert "UoLPythonGroup/training" in (BUNDLE / "data" / "PROVENANCE.md").read_text()


def test_counts(t, df):
    train, held = t.split(df)
    assert (len(df), len(train), len(held)) == (891, 600, 291)
    assert (df.Survived.sum(), train.Survived.sum(), held.Survived.sum()) == (342, 236, 106)
    assert (df.Age.isna().sum(), train.Age.isna().sum(), held.Age.isna().sum()) == (177, 126, 51)


@pytest.mark.parametrize(
    ("rows", "missing", "expected"),
    [
        ("train", "dropped", (334, 474)),
        ("train", "filled", (437, 600)),
        ("train", "nan", (420, 600)),
        ("held", "dropped", (174, 240)),
        ("held", "filled", (215, 291)),
        ("held", "nan", (213, 291)),
        ("all", "dropped", (508, 714)),
        ("all", "filled", (652, 891)),
        ("all", "nan", (633, 891)),
    ],
)
def test_published_weights_table(t, df, rows, missing, expected):
    train, held = t.split(df)
    part = {"train": train, "held": held, "all": df}[rows]
    if missing == "dropped":
        part = part.dropna(subset=["Age"])
    elif missing == "filled":
        part = part.assign(Age=part.Age.fillna(28))
    assert (t.correct(t.predict_single(part, *POST), part), len(part)) == expected


def test_73_20_and_the_cutoff(t, df):
    _, held = t.split(df)
    assert f"{t.correct(t.predict_single(held, *POST), held) / 291:.2%}" == "73.20%"
    assert round(-(POST[1] + POST[2]) / POST[0], 3) == 34.876


def test_closest_gradient_descent_point(t, df):
    train, _ = t.split(df)
    distance, step, weights = t.descend_raw(train, 28.0, 0.004, 8000, POST)
    assert step == 1799
    assert weights == pytest.approx((-0.020156, 0.745467, -0.074591), abs=1e-6)
    assert distance == pytest.approx(0.0417, abs=1e-4)


def test_converged_logistic_regression_is_women_survive(t, df):
    net = t.train_network(df, t.FEATURES_2, 0, 0, epochs=20000)
    w = net.W2.ravel() / net.std
    assert w == pytest.approx([-0.003939, 2.580399], abs=1e-5)
    assert (net.train_correct, net.test_correct) == (475, 226)


@pytest.mark.parametrize(
    ("features", "hidden", "train_correct", "held_correct"),
    [
        (2, 0, 475, 226),
        (2, 2, 475, 226),
        (2, 3, 478, 230),
        (2, 4, 475, 226),
        (2, 8, 478, 231),
        (6, 0, 481, 232),
        (6, 2, 485, 237),
        (6, 3, 497, 245),
        (6, 4, 496, 243),
        (6, 8, 498, 247),
    ],
)
def test_hidden_layer_seed_0_within_tolerance(t, df, features, hidden, train_correct, held_correct):
    feats = t.FEATURES_2 if features == 2 else t.FEATURES_6
    net = t.train_network(df, feats, hidden, 0)
    assert abs(net.train_correct - train_correct) <= 2
    assert abs(net.test_correct - held_correct) <= 2
