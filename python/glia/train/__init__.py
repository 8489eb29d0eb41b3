"""glia.train: a Keras-style fit / evaluate / predict loop with callbacks and a History.

    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"])
    history = trainer.fit(train_loader, val_loader, epochs=20,
                          callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    history.plot("curves.png")
"""
from glia.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    LRSchedulerCallback,
    ModelCheckpoint,
)
from glia.train.history import History
from glia.train.progress import EpochSummary, ProgressBar
from glia.train.trainer import Trainer, fit

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "EpochSummary",
    "GradientClipping",
    "History",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "ProgressBar",
    "Trainer",
    "fit",
]
