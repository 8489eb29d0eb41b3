"""The demo's one-line training summary, including a run with no finite val_loss."""
import math

import glia
from glia.demo import _fit_summary
from glia.train import EarlyStopping, fit
from train_helpers import mlp, xor_batches


def test_summary_names_the_restored_epoch_or_says_none_was_best():
    batches = xor_batches()[:2]
    model = mlp()
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    nan_loss = lambda out, y: glia.nn.functional.cross_entropy(out, y) * math.nan
    fit(model, nan_loss, glia.optim.SGD(model.parameters(), lr=0.1), batches,
        val_data=batches, epochs=3, callbacks=[stopper], verbose=0)
    assert stopper.best_epoch is None
    assert _fit_summary(3, stopper, 1.25) == \
        "trained 3 epochs (no finite val_loss: last weights kept) in 1.2s"
    stopper.best_epoch, stopper.stopped_epoch = 4, 6
    assert _fit_summary(7, stopper, 2.0) == \
        "trained 7 epochs (early stop; best epoch 5 restored) in 2.0s"
