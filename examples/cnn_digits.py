"""A LeNet-style CNN on real handwritten digits (scikit-learn's bundled 8x8 digits, read from
the package's own files; nothing is downloaded).

    python examples/cnn_digits.py            # full run: >= 97% test accuracy in well under 2 min
    python examples/cnn_digits.py --epochs 3 # a quick look
"""
import argparse
import time

import numpy as np

import glia
from glia import nn
from glia.demo import small_cnn


def load_digits_split(test_fraction=0.2, seed=0):
    """Digits as (N, 1, 8, 8) float32 in [0, 1] with int64 labels, split train/test by class."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise SystemExit("cnn_digits needs scikit-learn for its bundled digits: "
                         "pip install scikit-learn") from e
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):  # stratified: the same fraction of every digit in the test set
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(len(idx) * test_fraction))]] = True
    return x[~test], y[~test], x[test], y[test]


def accuracy(model, x, y, batch=512):
    model.eval()
    correct = 0
    with glia.no_grad():
        for i in range(0, len(x), batch):
            pred = model(glia.tensor(x[i:i + batch])).argmax(1).numpy()
            correct += int((pred == y[i:i + batch]).sum())
    model.train()
    return correct / len(x)


def train(epochs=40, batch_size=32, lr=2e-3, seed=0, out=print):
    """Trains the CNN; returns (test accuracy, per-epoch training losses)."""
    glia.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed=seed)
    model = small_cnn()  # the demo's CNN: conv blocks with batch norm, a dropout MLP head
    opt = glia.optim.Adam(model.parameters(), lr=lr)
    sched = glia.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    losses = []
    start = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            loss = loss_fn(model(glia.tensor(x_train[idx])), glia.tensor(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        losses.append(total / len(order))
        if epoch % 5 == 4 or epoch == epochs - 1:
            out(f"epoch {epoch + 1:3d}  train loss {losses[-1]:.4f}  "
                f"test accuracy {accuracy(model, x_test, y_test):.2%}  ({time.perf_counter() - start:.1f}s)")
    acc = accuracy(model, x_test, y_test)
    out(f"test accuracy {acc:.2%} on {len(y_test)} held-out digits")
    return acc, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(epochs=args.epochs, seed=args.seed)


if __name__ == "__main__":
    main()
