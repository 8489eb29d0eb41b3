"""Trainer.fit / evaluate / predict and the functional fit."""
import glia
import numpy as np
import pytest
from glia import metrics, nn
from glia.data import DataLoader, TensorDataset
from glia.train import Callback, Trainer, fit
from helpers import check_raises
from train_helpers import mlp, xor_batches


def test_fit_learns_and_reports_history():
    batches = xor_batches()
    model = mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), glia.optim.Adam(model.parameters(), lr=0.05),
                      metrics=["accuracy"], verbose=0)
    history = trainer.fit(batches, val_data=batches[:2], epochs=12)
    h = history.history
    assert list(h) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert history.epoch == list(range(12)) and all(len(v) == 12 for v in h.values())
    assert h["loss"][-1] < 0.4 * h["loss"][0]
    assert h["accuracy"][-1] > 0.9 and h["lr"] == [0.05] * 12
    assert trainer.history is history and history["loss"] is h["loss"]


def test_epoch_logs_are_exact_means_over_the_data():
    batches = xor_batches()
    model = mlp()
    loss_fn = nn.CrossEntropyLoss()
    trainer = Trainer(model, loss_fn, glia.optim.SGD(model.parameters(), lr=0.1),
                      metrics={"acc": "accuracy", "macro_f1": lambda y, out: metrics.f1_score(
                          y, out.argmax(1), average="macro")}, verbose=0)
    uneven = batches[:3] + [(batches[3][0][:5], batches[3][1][:5])]  # batch sizes 32, 32, 32, 5
    logs = trainer.evaluate(uneven)
    with glia.no_grad():
        out = glia.cat([model(x) for x, _ in uneven])
        y = glia.cat([t for _, t in uneven])
        want_loss = sum(loss_fn(model(x), t).item() * len(t) for x, t in uneven) / len(y)
    assert logs["loss"] == pytest.approx(want_loss, rel=1e-6)
    assert logs["acc"] == metrics.accuracy(y, out)
    assert logs["macro_f1"] == metrics.f1_score(y, out.numpy().argmax(1), average="macro")
    np.testing.assert_array_equal(trainer.predict(uneven).numpy(), out.numpy())
    # bare input batches work for predict too
    np.testing.assert_array_equal(trainer.predict([x for x, _ in uneven]).numpy(), out.numpy())
    inputs_only = DataLoader(TensorDataset(glia.cat([x for x, _ in uneven])), batch_size=40)
    np.testing.assert_array_equal(trainer.predict(inputs_only).numpy(), out.numpy())


class ModeProbe(nn.Module):
    """Records (training, grad enabled) at each forward."""

    def __init__(self):
        super().__init__()
        self.inner = mlp(dropout=0.5)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, glia.is_grad_enabled()))
        return self.inner(x)


def test_train_and_eval_modes_and_no_grad():
    batches = xor_batches()
    model = ModeProbe()
    trainer = Trainer(model, nn.CrossEntropyLoss(), glia.optim.SGD(model.parameters(), lr=0.1),
                      verbose=0)
    trainer.fit(batches[:2], val_data=batches[2:3], epochs=2)
    epoch = [(True, True)] * 2 + [(False, False)]  # two training batches, one validation
    assert model.seen == epoch * 2
    model.seen.clear()
    model.eval()
    trainer.evaluate(batches[:1])
    trainer.predict(batches[:1])
    assert model.seen == [(False, False)] * 2 and not model.training  # the mode is put back
    model.train()
    trainer.predict(batches[:1])
    assert model.training


def test_hooks_run_in_order():
    batches = xor_batches()
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_after_backward(self, batch):
            # gradients exist and the step has not happened yet
            assert all(p.grad is not None for p in self.model.parameters())
            calls.append(f"backward {batch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    model = mlp()
    fit(model, "cross_entropy", glia.optim.SGD(model.parameters(), lr=0.1), batches[:2],
        epochs=2, callbacks=[Recorder()], metrics=["accuracy"], verbose=0)
    batch = ["batch_begin {0}", "backward {0}", "batch_end {0} ['accuracy', 'loss']"]
    epoch = ["epoch_begin {e}"] + [s.format(i) for i in range(2) for s in batch] + [
        "epoch_end {e} ['accuracy', 'loss', 'lr']"]
    assert calls == ["train_begin"] + [s.format(e=e) for e in range(2) for s in epoch] + [
        "train_end"]


def test_stop_training_flag_ends_fit_after_the_epoch():
    batches = xor_batches()
    class StopAt(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.trainer.stop_training = True

    model = mlp()
    history = fit(model, nn.CrossEntropyLoss(), glia.optim.SGD(model.parameters(), lr=0.1),
                  batches[:1], epochs=10, callbacks=[StopAt()], verbose=0)
    assert history.epoch == [0, 1, 2]


def test_regression_metrics_and_numpy_batches():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    data = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 128, 16)]  # numpy batches
    model = nn.Linear(3, 1)
    trainer = Trainer(model, nn.MSELoss(), glia.optim.Adam(model.parameters(), lr=0.1),
                      metrics=["mse", "mae", "r2"], verbose=0)
    history = trainer.fit(data, epochs=30)
    logs = trainer.evaluate(data)
    pred = trainer.predict(data).numpy()
    assert logs["mse"] == pytest.approx(metrics.mean_squared_error(y, pred), rel=1e-6)
    assert logs["loss"] == pytest.approx(logs["mse"], rel=1e-4)
    assert logs["r2"] == pytest.approx(metrics.r2_score(y, pred)) and logs["r2"] > 0.99
    assert history["mae"][-1] < history["mae"][0]


def test_r2_with_a_one_sample_last_batch_and_metrics_computed_once():
    # 33 samples in batches of 32: r2 of the 1-sample last batch is undefined, but the
    # epoch's r2 is on all 33 outputs; per-batch metrics run only for on_batch_end readers
    rng = np.random.default_rng(3)
    x = rng.normal(size=(33, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)
    loader = DataLoader(TensorDataset(glia.tensor(x), glia.tensor(y)), batch_size=32)
    calls = []

    def r2(y_true, outputs):
        calls.append(len(y_true))
        return metrics.r2_score(y_true, outputs.reshape(y_true.shape))

    model = nn.Linear(3, 1)
    trainer = Trainer(model, nn.MSELoss(), glia.optim.SGD(model.parameters(), lr=0.05),
                      metrics={"r2": "r2", "r2_calls": r2}, verbose=0)
    history = trainer.fit(loader, val_data=loader, epochs=2)
    assert calls == [33, 33] * 2  # once per epoch on training and on validation outputs
    logs = trainer.evaluate(loader)
    assert calls[4:] == [33]
    pred = trainer.predict(loader).numpy()
    assert logs["r2"] == pytest.approx(metrics.r2_score(y, pred), rel=1e-6)
    assert len(history["r2"]) == len(history["val_r2"]) == 2

    seen = []

    class BatchLogs(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    calls.clear()
    trainer.fit(loader, epochs=1, callbacks=[BatchLogs()])
    # per batch (32, then 1: r2 raises there and is left out) and once on the epoch
    assert calls == [32, 1, 33]
    assert [sorted(logs) for logs in seen] == [["loss", "r2", "r2_calls"]] * 2
    assert seen[1]["r2"] == seen[0]["r2"]  # the running mean keeps the 32-sample value
    assert np.isfinite(seen[0]["r2"])

    class CountsBatches(BatchLogs):
        reads_batch_logs = False  # overrides on_batch_end but reads no metric

    calls.clear()
    seen.clear()
    trainer.fit(loader, epochs=1, callbacks=[CountsBatches()])
    assert calls == [33] and [sorted(logs) for logs in seen] == [["loss"]] * 2


class Fixed(nn.Module):
    """Outputs its input: evaluate's metrics then see exactly the scores in the data."""

    def forward(self, x):
        return x


def test_accuracy_threshold_comes_from_the_loss_and_top5():
    # logits that all lie in [0, 1]: with BCEWithLogitsLoss every one predicts label 1
    # (> 0), with BCELoss they are probabilities and 0.2, 0.4 predict label 0 (<= 0.5)
    scores = np.array([[0.2], [0.7], [0.4], [0.9]], np.float32)
    targets = np.ones((4, 1), np.float32)
    for loss, want in [(nn.BCEWithLogitsLoss(), 1.0), ("binary_cross_entropy_with_logits", 1.0),
                       (nn.BCELoss(), 0.5), ("binary_cross_entropy", 0.5)]:
        trainer = Trainer(Fixed(), loss, glia.optim.SGD([glia.zeros(1)], lr=0.1),
                          metrics=["accuracy"], verbose=0)
        assert trainer.evaluate([(scores, targets)])["accuracy"] == want, loss
        assert trainer.evaluate([(scores[:, 0], targets[:, 0])])["accuracy"] == want, loss
    # negative logits predict 0 with BCEWithLogitsLoss
    trainer = Trainer(Fixed(), nn.BCEWithLogitsLoss(), glia.optim.SGD([glia.zeros(1)], lr=0.1),
                      metrics=["accuracy"], verbose=0)
    logs = trainer.evaluate([(np.array([[-0.1], [2.0], [-3.0]], np.float32),
                              np.array([[0.0], [0.0], [0.0]], np.float32))])
    assert logs["accuracy"] == pytest.approx(2 / 3)
    # a loss that does not say how to read one score per sample is an error, not a guess
    trainer = Trainer(Fixed(), nn.MSELoss(), glia.optim.SGD([glia.zeros(1)], lr=0.1),
                      metrics=["accuracy"], verbose=0)
    check_raises(lambda: trainer.evaluate([(scores, targets)]), ValueError, "accuracy",
                 "MSELoss", "BCEWithLogitsLoss")
    # (N, C) scores: argmax, and top-5 against glia.metrics.top_k_accuracy
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(50, 10)).astype(np.float32)
    labels = rng.integers(0, 10, size=50)
    trainer = Trainer(Fixed(), nn.CrossEntropyLoss(), glia.optim.SGD([glia.zeros(1)], lr=0.1),
                      metrics=["accuracy", "top5_accuracy"], verbose=0)
    logs = trainer.evaluate([(logits[:32], labels[:32]), (logits[32:], labels[32:])])
    assert logs["accuracy"] == np.mean(logits.argmax(1) == labels)
    top5 = np.argsort(-logits, axis=1)[:, :5]
    assert logs["top5_accuracy"] == np.mean((top5 == labels[:, None]).any(1))
    assert logs["top5_accuracy"] == metrics.top_k_accuracy(labels, logits, k=5)
    assert 0.3 < logs["top5_accuracy"] < 0.8 and logs["accuracy"] < logs["top5_accuracy"]


def test_closure_optimizers_lbfgs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x @ np.array([[2.0], [-1.0]]) + 1.0).astype(np.float32)
    model = nn.Linear(2, 1)
    opt = glia.optim.LBFGS(model.parameters(), lr=1, max_iter=20)
    history = fit(model, nn.MSELoss(), opt, [(x, y)], epochs=3, verbose=0)
    assert history["loss"][-1] < 1e-6
    np.testing.assert_allclose(model.weight.detach().numpy(), [[2.0, -1.0]], atol=1e-3)




def test_gradient_free_optimizer_logs_the_model_not_a_mutant():
    # Evolution's closure calls are random mutants under no_grad: the logged loss and
    # outputs are the model's own after each step, computed in eval mode
    batches = xor_batches()[:1]
    model = ModeProbe()
    opt = glia.optim.Evolution(model.parameters(), population_size=8, seed=0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy"], verbose=0)
    history = trainer.fit(batches, epochs=3)
    assert model.seen[-1] == (False, False) and model.training
    x, y = batches[0]
    model.eval()
    with glia.no_grad():
        out = model(x)
        want = nn.CrossEntropyLoss()(out, y).item()
    assert history["loss"][-1] == pytest.approx(want, rel=1e-6)
    assert history["accuracy"][-1] == metrics.accuracy(y, out)


def test_optimizer_without_lr_logs_no_lr():
    batches = xor_batches()[:1]
    model = mlp()
    opt = glia.optim.Evolution(model.parameters(), population_size=4, seed=0)
    history = fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, verbose=0)
    assert list(history.history) == ["loss"]


def test_bad_arguments_are_named():
    model = mlp()
    opt = glia.optim.SGD(model.parameters(), lr=0.1)
    ce = nn.CrossEntropyLoss()
    check_raises(lambda: Trainer(model, ce, opt, metrics=["accurcy"]), ValueError,
                 "unknown metric 'accurcy'", "accuracy")
    check_raises(lambda: Trainer(model, 3, opt), TypeError, "loss must be callable")
    check_raises(lambda: Trainer(model, "cross_entropi", opt), ValueError, "cross_entropi")
    check_raises(lambda: Trainer(model, ce, opt, metrics=["val_x"] and {"val_x": len}),
                 ValueError, "val_x")
    trainer = Trainer(model, ce, opt, verbose=0)
    check_raises(lambda: trainer.fit([glia.randn(4, 2)], epochs=1), TypeError,
                 "(inputs, targets) pair", "Tensor")
    check_raises(lambda: trainer.fit(xor_batches()[:1], epochs=0), ValueError, "epochs")
    check_raises(lambda: trainer.fit(xor_batches()[:1], callbacks=[print]), TypeError,
                 "Callback")
    once = iter(xor_batches()[:2])
    check_raises(lambda: trainer.fit(once, epochs=2), ValueError, "no batches in epoch 2",
                 "generator")
    check_raises(lambda: trainer.evaluate([]), ValueError, "evaluate", "no batches")
