"""Build-time training for the article (numpy and pandas; never loaded in the browser)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TRAIN_ROWS = 600  # rows 1-600 train; rows 601-891 are held out, as in the original post
FEATURES_2 = ["Age", "Sex"]
FEATURES_6 = ["Age", "Sex", "Pclass", "Fare", "SibSp", "Parch"]


def load_passengers(path: str = "data/train.csv") -> pd.DataFrame:
    """Kaggle's Titanic training set with Sex encoded as male 0 / female 1."""
    df = pd.read_csv(path)
    df["Sex"] = (df["Sex"] == "female").astype(int)
    return df


def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return df.iloc[:TRAIN_ROWS], df.iloc[TRAIN_ROWS:]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def predict_single(df: pd.DataFrame, w_age: float, w_sex: float, b: float) -> np.ndarray:
    """Survival predictions; a missing age makes z NaN, and NaN > 0.5 is False: 'died'."""
    z = df["Age"].to_numpy() * w_age + df["Sex"].to_numpy() * w_sex + b
    return sigmoid(z) > 0.5


def correct(pred: np.ndarray, df: pd.DataFrame) -> int:
    return int((pred.astype(int) == df["Survived"].to_numpy()).sum())


def descend_raw(df: pd.DataFrame, fill: float, lr: float, steps: int, target: tuple):
    """Gradient descent on log-loss from zero, raw ages (missing -> fill).

    Returns the step whose weights come closest to *target* and those weights.
    """
    x = np.column_stack([df["Age"].fillna(fill).to_numpy(), df["Sex"].to_numpy()])
    y = df["Survived"].to_numpy()
    w, b = np.zeros(2), 0.0
    best = (np.inf, 0, (0.0, 0.0, 0.0))
    goal = np.array(target)
    for step in range(1, steps + 1):
        p = sigmoid(x @ w + b)
        grad = p - y
        w = w - lr * (x.T @ grad) / len(y)
        b = b - lr * grad.mean()
        distance = np.abs(np.array([w[0], w[1], b]) - goal).max()
        if distance < best[0]:
            best = (distance, step, (float(w[0]), float(w[1]), float(b)))
    return best


def descent_history(df: pd.DataFrame, fill: float, lr: float, steps: int, every: int) -> list:
    """The same descent as descend_raw, recorded: the weights and the training accuracy at
    step 0 and after every *every* steps, as plain dicts for the page."""
    x = np.column_stack([df["Age"].fillna(fill).to_numpy(), df["Sex"].to_numpy()])
    y = df["Survived"].to_numpy()
    w, b = np.zeros(2), 0.0
    history = []
    for step in range(steps + 1):
        if step % every == 0:
            hits = int(((sigmoid(x @ w + b) > 0.5).astype(int) == y).sum())
            history.append({"step": step, "w_age": float(w[0]), "w_sex": float(w[1]),
                            "b": float(b), "accuracy": hits / len(y)})
        p = sigmoid(x @ w + b)
        w = w - lr * (x.T @ (p - y)) / len(y)
        b = b - lr * (p - y).mean()
    return history


@dataclass
class Network:
    """A trained inputs -> h ReLU -> sigmoid network, with the scaling it was trained with."""

    features: list[str]
    hidden: int
    seed: int
    mean: np.ndarray
    std: np.ndarray
    fill_age: float
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    train_correct: int = 0
    test_correct: int = 0
    curve: list[float] | None = None

    def inputs(self, df: pd.DataFrame) -> np.ndarray:
        x = df[self.features].astype(float).copy()
        x["Age"] = x["Age"].fillna(self.fill_age)
        return (x.to_numpy() - self.mean) / self.std

    def probability(self, df: pd.DataFrame) -> np.ndarray:
        x = self.inputs(df)
        if self.hidden == 0:
            return sigmoid(x @ self.W2 + self.b2).ravel()
        a = np.maximum(0, x @ self.W1 + self.b1)
        return sigmoid(a @ self.W2 + self.b2).ravel()

    def export(self) -> dict:
        """Plain lists for the browser's pure-Python forward pass."""
        return {
            "features": self.features, "hidden": self.hidden, "seed": self.seed,
            "mean": self.mean.tolist(), "std": self.std.tolist(), "fill_age": self.fill_age,
            "W1": self.W1.tolist(), "b1": self.b1.tolist(),
            "W2": self.W2.ravel().tolist(), "b2": float(self.b2[0]),
        }


def train_network(df: pd.DataFrame, features: list[str], hidden: int, seed: int,
                  lr: float = 0.5, epochs: int = 5000, curve_every: int = 0) -> Network:
    """Full-batch gradient descent on mean binary cross-entropy (the reference procedure)."""
    train, test = split(df)
    fill = float(train["Age"].median())
    raw = train[features].astype(float).copy()
    raw["Age"] = raw["Age"].fillna(fill)
    mean, std = raw.to_numpy().mean(axis=0), raw.to_numpy().std(axis=0)
    x = (raw.to_numpy() - mean) / std
    y = train["Survived"].to_numpy().reshape(-1, 1).astype(float)
    n, d = x.shape
    rng = np.random.default_rng(seed)
    if hidden:
        W1 = rng.normal(0, np.sqrt(2 / d), (d, hidden))
        W2 = rng.normal(0, np.sqrt(1 / hidden), (hidden, 1))
    else:
        W1, W2 = np.zeros((d, 0)), np.zeros((d, 1))
    b1, b2 = np.zeros(hidden), np.zeros(1)
    curve = []
    for epoch in range(epochs):
        if hidden:
            z1 = x @ W1 + b1
            a1 = np.maximum(0, z1)
        else:
            a1 = x
        p = sigmoid(a1 @ W2 + b2)
        dz2 = (p - y) / n
        if curve_every and epoch % curve_every == 0:
            curve.append(float(((p > 0.5) == (y > 0.5)).mean()))
        dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
        if hidden:
            dz1 = (dz2 @ W2.T) * (z1 > 0)
            W1 -= lr * (x.T @ dz1)
            b1 -= lr * dz1.sum(axis=0)
        W2 -= lr * dW2
        b2 -= lr * db2
    net = Network(features, hidden, seed, mean, std, fill, W1, b1, W2, b2, curve=curve)
    net.train_correct = int(((net.probability(train) > 0.5) == train["Survived"]).sum())
    net.test_correct = int(((net.probability(test) > 0.5) == test["Survived"]).sum())
    return net
