"""Trainer: the fit / evaluate / predict loop, in the spirit of Keras's Model.fit."""
import math

import numpy as np

import glia
from glia import metrics as _metrics
from glia._C import Tensor
from glia.train.callbacks import Callback
from glia.train.history import History
from glia.train.progress import EpochSummary, ProgressBar

__all__ = ["Trainer", "fit"]


def _binary_threshold(loss):
    """The score above which one output per sample predicts label 1, from the loss: 0 for
    logits (BCEWithLogitsLoss), 0.5 for probabilities (BCELoss); None for other losses."""
    F = glia.nn.functional
    if isinstance(loss, glia.nn.BCEWithLogitsLoss) or loss is F.binary_cross_entropy_with_logits:
        return 0.0
    if isinstance(loss, glia.nn.BCELoss) or loss is F.binary_cross_entropy:
        return 0.5
    return None


def _label_accuracy(loss):
    """Accuracy of model outputs: (N, C) scores go to metrics.accuracy (argmax); one score
    per sample is thresholded as the loss reads it (logits > 0, probabilities > 0.5)."""
    threshold = _binary_threshold(loss)

    def accuracy(y_true, outputs):
        if outputs.ndim == 2 and outputs.shape[1] > 1:
            return _metrics.accuracy(y_true, outputs)
        if threshold is None:
            raise ValueError(
                f"Trainer: metric 'accuracy' got one output per sample (shape {outputs.shape}) "
                f"with loss {getattr(loss, '__name__', type(loss).__name__)}, which does not "
                "say whether they are logits or probabilities: use BCEWithLogitsLoss or "
                "BCELoss, or pass a callable metric")
        return _metrics.accuracy(np.asarray(y_true).reshape(-1),
                                 (outputs.reshape(-1) > threshold).astype(int))
    return accuracy


def _top5(y_true, outputs):
    return _metrics.top_k_accuracy(y_true, outputs, k=5)


def _on_outputs(fn):
    """A regression metric applied to outputs shaped like the targets."""
    def metric(y_true, outputs):
        return fn(y_true, outputs.reshape(np.shape(y_true)))
    return metric


_NAMED_METRICS = {  # name -> fn(loss) -> fn(y_true, outputs)
    "accuracy": _label_accuracy, "acc": _label_accuracy, "top5_accuracy": lambda loss: _top5,
    "mse": lambda loss: _on_outputs(_metrics.mean_squared_error),
    "mae": lambda loss: _on_outputs(_metrics.mean_absolute_error),
    "r2": lambda loss: _on_outputs(_metrics.r2_score),
}


def _resolve_metrics(metrics, loss):
    """A dict name -> fn(y_true, outputs) from names, callables or a dict of them."""
    if metrics is None:
        return {}
    items = metrics.items() if isinstance(metrics, dict) else (
        (m if isinstance(m, str) else getattr(m, "__name__", type(m).__name__), m)
        for m in metrics)
    out = {}
    for name, m in items:
        if isinstance(m, str):
            if m not in _NAMED_METRICS:
                raise ValueError(f"Trainer: unknown metric {m!r}; named metrics are "
                                 f"{sorted(_NAMED_METRICS)}, or pass a callable "
                                 "fn(y_true, outputs) -> float")
            m = _NAMED_METRICS[m](loss)
        elif not callable(m):
            raise TypeError(f"Trainer: a metric must be a name or a callable, got "
                            f"{type(m).__name__}")
        if name in ("loss", "lr") or name.startswith("val_"):
            raise ValueError(f"Trainer: metric name {name!r} clashes with a log name")
        out[name] = m
    return out


def _resolve_loss(loss):
    if isinstance(loss, str):
        fn = getattr(glia.nn.functional, loss, None)
        if fn is None:
            raise ValueError(f"Trainer: glia.nn.functional has no loss {loss!r}")
        return fn
    if not callable(loss):
        raise TypeError(f"Trainer: loss must be callable (e.g. nn.CrossEntropyLoss()) or the "
                        f"name of a glia.nn.functional loss, got {type(loss).__name__}")
    return loss


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return glia.from_numpy(np.ascontiguousarray(x))
    return glia.tensor(x)


def _split_batch(batch, where):
    """(model inputs as a tuple, targets) from an (inputs, targets) batch."""
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise TypeError(f"{where}: each batch must be an (inputs, targets) pair, got "
                        f"{type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    inputs, targets = batch
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    return tuple(_as_tensor(x) for x in inputs), _as_tensor(targets)


def _numpy(t):
    return t.detach().numpy()


def _reads_batch_logs(cb):
    """Whether a callback looks at on_batch_end's logs, so running metrics are worth
    computing: its reads_batch_logs, or by default whether it overrides on_batch_end."""
    if cb.reads_batch_logs is None:
        return type(cb).on_batch_end is not Callback.on_batch_end
    return bool(cb.reads_batch_logs)


class _Epoch:
    """Running sums of one pass over the data: sample-weighted loss and outputs; with
    running=True also batch-weighted metric sums for the per-batch logs."""

    def __init__(self, metric_fns, running=False):
        self.metric_fns = metric_fns
        self.loss_sum, self.count = 0.0, 0
        self.track_running = running and bool(metric_fns)
        self.metric_sums = dict.fromkeys(metric_fns, 0.0)
        self.metric_counts = dict.fromkeys(metric_fns, 0)
        self.outputs, self.targets = [], []

    def add(self, loss, outputs, targets):
        n = outputs.shape[0] if outputs.dim() > 0 else 1
        self.loss_sum += loss * n
        self.count += n
        if self.metric_fns:
            out, tgt = _numpy(outputs), _numpy(targets)
            self.outputs.append(out)
            self.targets.append(tgt)
            if self.track_running:
                for name, fn in self.metric_fns.items():
                    try:  # e.g. r2 of a 1-sample batch: left out of the running mean
                        value = float(fn(tgt, out))
                    except ValueError:
                        continue
                    self.metric_sums[name] += value * n
                    self.metric_counts[name] += n

    def running(self):
        """Means so far, for the per-batch logs: metrics (when tracked) as batch-weighted
        means over the batches they could be computed on, nan before the first such batch."""
        logs = {"loss": self.loss_sum / self.count}
        if self.track_running:
            logs.update((k, v / self.metric_counts[k] if self.metric_counts[k] else math.nan)
                        for k, v in self.metric_sums.items())
        return logs

    def result(self, prefix=""):
        """The epoch's logs: mean loss and each metric on all the epoch's outputs at once."""
        logs = {prefix + "loss": self.loss_sum / self.count}
        if self.metric_fns:
            out, tgt = np.concatenate(self.outputs), np.concatenate(self.targets)
            for name, fn in self.metric_fns.items():
                logs[prefix + name] = float(fn(tgt, out))
        return logs


class Trainer:
    """Trains a model with a loss and an optimizer over batches of (inputs, targets).

    Args:
        model: an nn.Module (or any callable whose parameters the optimizer holds).
        loss: fn(outputs, targets) -> 0-d tensor (e.g. nn.CrossEntropyLoss()) or the name
            of a glia.nn.functional loss ('cross_entropy', 'mse_loss', ...). Its mean over a
            batch is weighted by the batch size in the epoch's loss.
        optimizer: a glia.optim optimizer over the model's parameters (closure-based ones
            such as LBFGS work too).
        metrics: names ('accuracy', 'top5_accuracy', 'mse', 'mae', 'r2'; 'accuracy' takes
            the argmax of (N, C) outputs, and thresholds one output per sample at 0 with
            BCEWithLogitsLoss and at 0.5 with BCELoss), callables
            fn(y_true, outputs) -> float taking numpy arrays (e.g. a glia.metrics function
            wrapped for the output format) or a dict name -> either. Epoch values are
            computed on all the epoch's outputs at once. Batch-weighted running means are
            computed only for a shown progress bar or a callback overriding on_batch_end
            (a batch whose metric raises ValueError, e.g. r2 of 1 sample, is left out).
        callbacks: Callback objects used by every fit.
        verbose: 1 (default) a tqdm progress bar when stdout is a terminal, 2 one line per
            epoch, 0 nothing.

    Data: any iterable of (inputs, targets) batches that can be iterated once per epoch,
    such as a glia.data.DataLoader or a list. inputs is a tensor (or a tuple of tensors passed
    to the model as separate arguments); numpy arrays are converted.
    """

    def __init__(self, model, loss, optimizer, metrics=None, callbacks=None, verbose=1):
        if verbose not in (0, 1, 2):
            raise ValueError(f"Trainer: verbose must be 0, 1 or 2, got {verbose!r}")
        self.model = model
        self.loss_fn = _resolve_loss(loss)
        self.optimizer = optimizer
        self.metric_fns = _resolve_metrics(metrics, self.loss_fn)
        self.callbacks = list(callbacks or [])
        self.verbose = verbose
        self.stop_training = False
        self.history = None
        self.params = {}

    # ---- fit ----

    def fit(self, train_data, val_data=None, epochs=1, callbacks=None, verbose=None):
        """Trains for `epochs` epochs (fewer if a callback stops training).

        Each epoch: model.train(), one optimizer step per batch of train_data, then, with
        val_data, an evaluation in eval mode under no_grad.

        Returns:
            a History; also kept as self.history.
        """
        if not (isinstance(epochs, int) and epochs >= 1):
            raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
        verbose = self.verbose if verbose is None else verbose
        cbs = self._callbacks(callbacks, verbose)
        steps = len(train_data) if hasattr(train_data, "__len__") else None
        self.params = {"epochs": epochs, "steps": steps}
        self.history = History()
        self.stop_training = False
        self._emit(cbs, "on_train_begin", {})
        try:
            for epoch in range(epochs):
                lr = self.optimizer.param_groups[0].get("lr")  # Evolution has none
                self._emit(cbs, "on_epoch_begin", epoch, {})
                logs = self._train_epoch(train_data, cbs, epoch)
                if val_data is not None:
                    logs.update(self._evaluate(val_data, "fit", prefix="val_"))
                if lr is not None:
                    logs["lr"] = lr
                self._emit(cbs, "on_epoch_end", epoch, logs)
                self.history.record(epoch, logs)
                if self.stop_training:
                    break
        finally:
            self._emit(cbs, "on_train_end", {})
        return self.history

    def _callbacks(self, extra, verbose):
        cbs = self.callbacks + list(extra or [])
        for cb in cbs:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be glia.train.Callback objects, got "
                                f"{type(cb).__name__}")
        if verbose == 1:
            cbs.append(ProgressBar())
        elif verbose == 2:
            cbs.append(EpochSummary())
        for cb in cbs:
            cb.set_trainer(self)
        return cbs

    @staticmethod
    def _emit(cbs, hook, *args):
        for cb in cbs:
            getattr(cb, hook)(*args)

    def _train_epoch(self, data, cbs, epoch):
        self.model.train()
        run = _Epoch(self.metric_fns, running=any(_reads_batch_logs(cb) for cb in cbs))
        for i, batch in enumerate(data):
            self._emit(cbs, "on_batch_begin", i, {})
            inputs, targets = _split_batch(batch, "fit")
            outputs, loss = self._step(inputs, targets, cbs, i)
            run.add(loss, outputs, targets)
            self._emit(cbs, "on_batch_end", i, run.running())
        if run.count == 0:
            raise ValueError(f"fit: train_data gave no batches in epoch {epoch + 1} (a "
                             "generator can be iterated only once: pass a DataLoader or a list)")
        return run.result()

    def _step(self, inputs, targets, cbs, batch):
        """One optimizer step; returns the outputs and loss to log: those of the first
        evaluation when it had gradients, else (a gradient-free optimizer, whose evaluations
        are candidates such as Evolution's mutants) of the model after the step, in eval
        mode under no_grad."""
        first = []

        def closure():
            self.optimizer.zero_grad()
            outputs = self.model(*inputs)
            loss = self.loss_fn(outputs, targets)
            if glia.is_grad_enabled():  # gradient-free optimizers evaluate under no_grad
                loss.backward()
                self._emit(cbs, "on_after_backward", batch)
                if not first:
                    first.append((outputs.detach(), loss.item()))
            return loss

        self.optimizer.step(closure)
        if first:
            return first[0]
        self.model.eval()
        try:
            with glia.no_grad():
                outputs = self.model(*inputs)
                return outputs, self.loss_fn(outputs, targets).item()
        finally:
            self.model.train()

    # ---- evaluate / predict ----

    def evaluate(self, data):
        """The mean loss and metrics over `data` (model in eval mode, no gradients).

        Returns:
            a dict {'loss': ..., <metric>: ...} of floats.
        """
        return self._evaluate(data, "evaluate")

    def _evaluate(self, data, where, prefix=""):
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        run = _Epoch(self.metric_fns)
        try:
            with glia.no_grad():
                for batch in data:
                    inputs, targets = _split_batch(batch, where)
                    outputs = self.model(*inputs)
                    run.add(self.loss_fn(outputs, targets).item(), outputs, targets)
        finally:
            self.model.train(was_training)
        if run.count == 0:
            raise ValueError(f"{where}: the {'validation ' if prefix else ''}data gave no batches")
        return run.result(prefix)

    def predict(self, data):
        """The model's outputs for every batch, concatenated along dim 0 (eval mode, no
        gradients). Batches are (inputs, targets) pairs (targets ignored), 1-tuples of
        inputs (a DataLoader over a TensorDataset of inputs alone) or bare input tensors.
        """
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        outputs = []
        try:
            with glia.no_grad():
                for batch in data:
                    if isinstance(batch, (tuple, list)) and len(batch) == 2:
                        inputs, _ = _split_batch(batch, "predict")
                    elif isinstance(batch, (tuple, list)) and len(batch) == 1:
                        inputs = (_as_tensor(batch[0]),)  # a loader over inputs alone
                    else:
                        inputs = (_as_tensor(batch),)
                    outputs.append(self.model(*inputs))
        finally:
            self.model.train(was_training)
        if not outputs:
            raise ValueError("predict: the data gave no batches")
        return glia.cat(outputs, 0)


def fit(model, loss, optimizer, train_data, val_data=None, epochs=1, callbacks=None,
        metrics=None, verbose=1):
    """Functional form of Trainer(model, loss, optimizer, metrics).fit(...); returns a History."""
    trainer = Trainer(model, loss, optimizer, metrics=metrics, verbose=verbose)
    return trainer.fit(train_data, val_data, epochs=epochs, callbacks=callbacks)
