"""Callbacks: code that runs at fixed points of Trainer.fit and may stop it.

Hooks, in the order fit calls them:
    on_train_begin(logs)
      on_epoch_begin(epoch, logs)
        on_batch_begin(batch, logs) / on_after_backward(batch) / on_batch_end(batch, logs)
      on_epoch_end(epoch, logs)        logs: loss, metrics, val_loss, val_<metric>, lr (when
                                       the optimizer has one)
    on_train_end(logs)
Epochs and batches count from 0. A callback reaches the model, optimizer and fit arguments
through self.trainer, and stops training by setting self.trainer.stop_training = True.
"""
import csv
import math
import os

import glia
from glia.nn.utils import clip_grad_norm_
from glia.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "GradientClipping",
    "LRSchedulerCallback",
    "ModelCheckpoint",
]


class Callback:
    """Base class; every hook does nothing unless overridden.

    Attributes:
        reads_batch_logs: whether on_batch_end looks at its logs, so that fit computes
            running metrics for it: True, False, or None (default) for "when the subclass
            overrides on_batch_end".
    """

    trainer = None
    reads_batch_logs = None

    def set_trainer(self, trainer):
        self.trainer = trainer

    @property
    def model(self):
        return self.trainer.model

    def on_train_begin(self, logs=None):
        """Called once before the first epoch."""

    def on_train_end(self, logs=None):
        """Called once after the last epoch (also when a callback stopped training)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called before each epoch's first batch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called after each epoch and its validation, with the epoch's logs."""

    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch."""

    def on_after_backward(self, batch):
        """Called when a batch's gradients are ready, before the optimizer uses them."""

    def on_batch_end(self, batch, logs=None):
        """Called after each optimizer step with the running means of loss and metrics
        (metrics are computed per batch only for callbacks that override this hook)."""


_MAX_HINTS = ("acc", "auc", "f1", "precision", "recall", "r2", "specificity", "bleu")


class _Monitor:
    """Which logged value to watch, which direction is better, and the best value so far."""

    def __init__(self, owner, monitor, mode, min_delta):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if min_delta < 0:
            raise ValueError(f"{owner}: min_delta must be >= 0, got {min_delta}")
        if mode == "auto":
            mode = "max" if any(h in monitor.lower() for h in _MAX_HINTS) else "min"
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, min_delta
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs):
        if self.monitor not in logs:
            hint = " (pass val_data to fit, or monitor a training value)" \
                if self.monitor.startswith("val_") else ""
            raise KeyError(f"{self.owner}: monitored value {self.monitor!r} is not in the epoch "
                           f"logs {sorted(logs)}{hint}")
        return float(logs[self.monitor])

    def improved(self, value):
        """Whether `value` beats the best by more than min_delta (nan never does)."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stops training when a monitored value has not improved for `patience` epochs.

    Args:
        monitor: the log to watch (default 'val_loss').
        patience: training stops at the end of the patience-th epoch in a row without
            improvement (as Keras: patience 0 and 1 both stop at the first one).
        min_delta: the least change that counts as an improvement.
        mode: 'min', 'max' or 'auto' (max for accuracy-like names, else min).
        restore_best_weights: at the end of training (stopped early or not), load the
            parameters and buffers of the best epoch back into the model, bit for bit.
    Attributes:
        best, best_epoch, stopped_epoch (None if it never stopped training).
    """

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        if not (isinstance(patience, int) and patience >= 0):
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self._watch = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs=None):
        self._watch.reset()
        self.wait = 0
        self.best_epoch = self.stopped_epoch = None
        self.best_weights = None

    @property
    def best(self):
        return self._watch.best

    def on_epoch_end(self, epoch, logs=None):
        value = self._watch.value(logs)
        if self._watch.improved(value):
            self._watch.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.clone() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves the model's state_dict to a safetensors file after each epoch (atomically:
    written to a temporary file and renamed, so a crash never leaves half a checkpoint).

    Args:
        path: the file; may hold {epoch} (counted from 1) and log names, e.g.
            'ckpt-{epoch:02d}-{val_loss:.3f}.safetensors'.
        monitor: the log that decides what is best (default 'val_loss').
        save_best_only: write only when the monitored value improves on the best so far.
        mode: 'min', 'max' or 'auto', as in EarlyStopping.
    Attributes:
        saved: the paths written, in order; best: the best monitored value.
    The file's metadata holds the epoch and the logs (as strings).
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path = os.fspath(path)
        self.save_best_only = save_best_only
        self._watch = _Monitor("ModelCheckpoint", monitor, mode, 0.0)
        self.saved = []

    @property
    def best(self):
        return self._watch.best

    def on_train_begin(self, logs=None):
        self._watch.reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.save_best_only:
            value = self._watch.value(logs)
            if not self._watch.improved(value):
                return
            self._watch.best = value
        path = self.path.format(epoch=epoch + 1, **logs)
        metadata = {"epoch": str(epoch + 1), **{k: repr(v) for k, v in logs.items()}}
        glia.save(self.model.state_dict(), path, metadata=metadata)
        self.saved.append(path)


class LRSchedulerCallback(Callback):
    """Steps a learning-rate scheduler during fit.

    Args:
        scheduler: any glia.optim.lr_scheduler scheduler. ReduceLROnPlateau is stepped with
            the monitored value at each epoch's end.
        monitor: the log ReduceLROnPlateau watches (default 'val_loss').
        interval: 'epoch' (step after each epoch) or 'batch' (after each optimizer step,
            e.g. for OneCycleLR).
    """

    reads_batch_logs = False  # on_batch_end only steps the scheduler

    def __init__(self, scheduler, monitor="val_loss", interval="epoch"):
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"LRSchedulerCallback: expected a glia.optim.lr_scheduler "
                            f"scheduler, got {type(scheduler).__name__}")
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'batch', "
                             f"got {interval!r}")
        self.plateau = isinstance(scheduler, ReduceLROnPlateau)
        if self.plateau and interval == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps once per epoch on a "
                             "monitored value; use interval='epoch'")
        self.scheduler, self.interval = scheduler, interval
        self._watch = _Monitor("LRSchedulerCallback", monitor, "min", 0.0)

    def on_batch_end(self, batch, logs=None):
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None):
        if self.interval != "epoch":
            return
        if self.plateau:
            self.scheduler.step(self._watch.value(logs))
        else:
            self.scheduler.step()


class GradientClipping(Callback):
    """Clips the joint gradient norm of the model's parameters to `max_norm` before every
    optimizer step (glia.nn.utils.clip_grad_norm_).

    Attributes:
        last_norm: the total norm before clipping at the last step (a float).
    """

    def __init__(self, max_norm, norm_type=2.0):
        if not max_norm > 0:
            raise ValueError(f"GradientClipping: max_norm must be > 0, got {max_norm!r}")
        self.max_norm, self.norm_type = float(max_norm), norm_type
        self.last_norm = None

    def on_after_backward(self, batch):
        norm = clip_grad_norm_(self.model.parameters(), self.max_norm, self.norm_type)
        self.last_norm = norm.item()


class CSVLogger(Callback):
    """Writes one CSV row per epoch: 'epoch' (from 0), then every log in the order fit
    reports them. Each row is flushed as it is written.

    Args:
        path: the CSV file.
        separator: the field separator (default ',').
        append: add rows to an existing file (its header is kept) instead of replacing it.
    """

    def __init__(self, path, separator=",", append=False):
        self.path, self.separator, self.append = os.fspath(path), separator, append
        self._file = self._writer = self._keys = None

    def on_train_begin(self, logs=None):
        has_rows = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        # open for the whole run, closed in on_train_end
        self._file = open(self.path, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._keys = None
        if has_rows:
            with open(self.path, newline="") as f:
                self._keys = next(csv.reader(f, delimiter=self.separator))[1:]

    def on_epoch_end(self, epoch, logs=None):
        if self._keys is None:
            self._keys = list(logs)
            self._write_row(["epoch", *self._keys])
        self._write_row([epoch, *(logs.get(k, "") for k in self._keys)])

    def _write_row(self, row):
        csv.writer(self._file, delimiter=self.separator).writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
