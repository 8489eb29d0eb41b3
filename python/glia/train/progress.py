"""Progress output of fit: a live tqdm bar per epoch, or one summary line per epoch."""
import sys
import time

from tqdm import tqdm

from glia.train.callbacks import Callback

__all__ = ["EpochSummary", "ProgressBar", "format_logs"]


def format_logs(logs):
    """'loss 0.1234 - accuracy 0.9700' from a dict of numbers."""
    return " - ".join(f"{k} {v:.4g}" if k == "lr" else f"{k} {v:.4f}" for k, v in logs.items())


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss and metrics, then the epoch's logs.

    Args:
        enabled: True or False; None (default) shows the bar only when `file` is a terminal,
            so logs and pipes get no control characters.
        file: where to draw (default sys.stdout, looked up when training starts).
        mininterval: the least seconds between redraws.
    """

    def __init__(self, enabled=None, file=None, mininterval=0.1):
        self.enabled, self.file, self.mininterval = enabled, file, mininterval
        self._bar = None
        self._on = False

    @property
    def shown(self):
        """Whether the bar is drawn in this fit (decided when training begins)."""
        return self._on

    @property
    def reads_batch_logs(self):
        """The running logs are shown only when the bar is."""
        return self._on

    def on_train_begin(self, logs=None):
        file = self.file if self.file is not None else sys.stdout
        isatty = getattr(file, "isatty", None)
        self._on = self.enabled if self.enabled is not None else bool(isatty and isatty())
        self._out = file

    def on_epoch_begin(self, epoch, logs=None):
        if not self._on:
            return
        params = self.trainer.params
        self._bar = tqdm(total=params.get("steps"), desc=f"epoch {epoch + 1}/{params['epochs']}",
                         unit="batch", file=self._out, mininterval=self.mininterval,
                         dynamic_ncols=True, leave=True)

    def on_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=True)
            self._bar.close()
            self._bar = None

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training was interrupted inside an epoch
            self._bar.close()
            self._bar = None


class EpochSummary(Callback):
    """Prints one line per epoch: 'epoch 3/20 - 1.2s - loss 0.1234 - val_loss 0.2345'.

    Args:
        file: where to print (default sys.stdout, looked up at each line).
    """

    def __init__(self, file=None):
        self.file = file

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        print(f"epoch {epoch + 1}/{self.trainer.params['epochs']} - {seconds:.1f}s - "
              f"{format_logs(logs)}", file=self.file if self.file is not None else sys.stdout,
              flush=True)
