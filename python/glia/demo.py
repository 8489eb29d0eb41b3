"""The README's main job: a small CNN learns real handwritten digits.

Trains on scikit-learn's bundled 8x8 digits (1797 images, nothing downloaded) with random
shifts and rotations, a train/validation/test split, a progress bar, learning-rate
reduction on plateaus and early stopping; then prints the test accuracy, per-class
precision and recall and the confusion matrix, and saves the learning curves (PNG), the
per-epoch log (CSV) and the model (safetensors) into the output folder.

    python -m glia demo [--out DIR] [--epochs N] [--seed S]
"""
import argparse
import os
import sys
import time

import numpy as np

import glia
from glia import metrics, nn
from glia.data import DataLoader, TensorDataset, transforms
from glia.train import CSVLogger, EarlyStopping, LRSchedulerCallback, Trainer

_NEEDS = ('the demo needs scikit-learn (its bundled digits) and matplotlib (the plot): '
          'pip install "glia[demo]"')


def _check_requirements():
    for module in ("sklearn", "matplotlib"):
        try:
            __import__(module)
        except ImportError as e:
            raise ImportError(f"{_NEEDS} ({module} is missing)") from e


def small_cnn(num_classes=10):
    """Three 3x3 convolutions with batch norm, the last two each followed by 2x2 max pooling
    (8x8 digits: 4x4, then 2x2), then a dropout MLP head."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 4x4
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # 2x2
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, num_classes),
    )


def _loader(x, y, batch_size, augment=None, shuffle=False):
    return DataLoader(TensorDataset(x, y, transform=augment), batch_size=batch_size,
                      shuffle=shuffle)


def _fit_summary(n_epochs, stopper, seconds):
    """'trained 12 epochs (early stop; best epoch 7 restored) in 3.2s'; an EarlyStopping
    that never saw a finite val_loss has no best epoch, and the last weights stay."""
    best = stopper.best_epoch
    if best is None:
        kept = "no finite val_loss: last weights kept"
    else:
        kept = f"best epoch {best + 1} restored"
    stop = "early stop; " if stopper.stopped_epoch is not None else ""
    return f"trained {n_epochs} epochs ({stop}{kept}) in {seconds:.1f}s"


def run(out="glia_demo_output", epochs=25, seed=0, batch_size=32, patience=5, verbose=1,
        print=print):
    """Trains, evaluates and saves; returns a dict with the test accuracy, macro precision
    and recall, the confusion matrix, the History and the paths written."""
    _check_requirements()
    start = time.perf_counter()
    glia.manual_seed(seed)
    x, y = glia.data.load_digits(images=True)  # (1797, 1, 8, 8) in [0, 1], labels 0..9
    # every digit in the same 70/15/15 proportions in each part
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = glia.data.train_val_test_split(
        (x, y), (0.7, 0.15, 0.15), stratify=y)
    # shifts of up to one pixel and rotations of up to 10 degrees, drawn anew every epoch
    augment = transforms.RandomAffine(degrees=10, translate=(0.125, 0.125),
                                      interpolation="bilinear")
    train = _loader(x_train, y_train, batch_size, augment, shuffle=True)
    val = _loader(x_val, y_val, 256)
    test = _loader(x_test, y_test, 256)
    print(f"glia demo: a CNN on {len(y)} handwritten 8x8 digits "
          f"({len(y_train)} train with random shifts/rotations, {len(y_val)} validation, "
          f"{len(y_test)} test)")

    model = small_cnn()
    optimizer = glia.optim.Adam(model.parameters(), lr=2e-3)
    plateau = glia.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.3, patience=2)
    os.makedirs(out, exist_ok=True)
    paths = {name: os.path.join(out, name) for name in
             ("model.safetensors", "learning_curves.png", "history.csv")}
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"],
                      verbose=verbose)
    stopper = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = trainer.fit(train, val, epochs=epochs, callbacks=[
        LRSchedulerCallback(plateau), stopper, CSVLogger(paths["history.csv"])])
    print(_fit_summary(len(history.epoch), stopper, time.perf_counter() - start))

    y_score = trainer.predict(test).numpy()
    y_pred, y_true = y_score.argmax(1), y_test.numpy()
    result = {
        "accuracy": metrics.accuracy(y_true, y_pred),
        "precision": metrics.precision(y_true, y_pred, average="macro"),
        "recall": metrics.recall(y_true, y_pred, average="macro"),
        "f1": metrics.f1_score(y_true, y_pred, average="macro"),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=np.arange(10)),
        "history": history, "paths": paths,
    }
    print(f"test accuracy {result['accuracy']:.2%} on {len(y_true)} held-out digits; macro "
          f"precision {result['precision']:.2%}, recall {result['recall']:.2%}, "
          f"F1 {result['f1']:.2%}")
    per_p = metrics.precision(y_true, y_pred, average=None, labels=np.arange(10))
    per_r = metrics.recall(y_true, y_pred, average=None, labels=np.arange(10))
    print("digit      " + " ".join(f"{d:>5d}" for d in range(10)))
    print("precision  " + " ".join(f"{p:5.2f}" for p in per_p))
    print("recall     " + " ".join(f"{r:5.2f}" for r in per_r))
    print("confusion matrix (rows: true digit, columns: predicted):")
    for d, row in enumerate(result["confusion_matrix"]):
        print(f"  {d}  " + " ".join(f"{v:3d}" for v in row))

    glia.save(model.state_dict(), paths["model.safetensors"],
              metadata={"model": "glia.demo.small_cnn",
                        "test_accuracy": f"{result['accuracy']:.4f}"})
    history.plot(paths["learning_curves.png"])
    for path in paths.values():
        print(f"saved {path}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m glia demo",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="glia_demo_output",
                        help="folder for the model, plot and log (default ./glia_demo_output)")
    parser.add_argument("--epochs", type=int, default=25, help="most epochs (default 25)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        run(out=args.out, epochs=args.epochs, seed=args.seed,
            verbose=1 if sys.stdout.isatty() else 2)
    except ImportError as e:
        print(f"python -m glia demo: {e}", file=sys.stderr)
        return 1
    return 0
