"""History: the per-epoch logs of a fit, and a plot of its learning curves."""
import os

from glia._atomic import atomic_write


class History:
    """What Trainer.fit returns: one value per epoch for each logged quantity.

    Attributes:
        history: dict name -> list of per-epoch values, as Keras: 'loss', each metric,
            'val_loss' and 'val_<metric>' when there is validation data, and 'lr'.
        epoch: the indices (from 0) of the epochs run.
    """

    def __init__(self):
        self.history = {}
        self.epoch = []

    def record(self, epoch, logs):
        """Appends one epoch's logs."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def curves(self):
        """The quantities to plot: names without the 'val_' prefix, learning rate left out."""
        return [k for k in self.history if not k.startswith("val_") and k != "lr"] + [
            k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history]

    def plot(self, path, dpi=100):
        """Writes a PNG of the learning curves: one panel per quantity (loss first), the
        training and validation curves together.

        Needs matplotlib (pip install "glia[plot]"); draws with the Agg backend, so no
        display is needed and pyplot's global state is left alone. The file is written
        atomically: a failed plot leaves any existing file as it was.

        Returns:
            the path written.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as e:
            raise ImportError('History.plot needs matplotlib: pip install "glia[plot]"') from e
        names = self.curves()
        if not names:
            raise ValueError("History.plot: nothing to plot; fit has not recorded an epoch")
        fig = Figure(figsize=(4.5 * len(names), 3.5), layout="tight")
        FigureCanvasAgg(fig)
        epochs = [e + 1 for e in self.epoch]
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            for key, label in ((name, "train"), ("val_" + name, "validation")):
                if key in self.history:
                    ax.plot(epochs, self.history[key], marker="." if len(epochs) < 30 else None,
                            label=label)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        path = os.fspath(path)
        with atomic_write(path) as f:
            fig.savefig(f, dpi=dpi, format="png")
        return path
