"""Callbacks fire at the right epoch with the right effect."""
import csv
import io
import json
import os

import glia
import numpy as np
import pytest
import torch
from glia import nn
from glia.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientClipping,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    Trainer,
)
from helpers import check_raises
from train_helpers import Script, state_numpy, xor_batches


def bn_model():
    """An MLP with batch norm, so state_dict holds buffers as well as parameters."""
    return nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def run(callbacks, epochs, model=None, opt=None, val=True, metrics=("accuracy",)):
    model = model or bn_model()
    opt = opt or glia.optim.SGD(model.parameters(), lr=0.05)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=list(metrics), verbose=0)
    batches = xor_batches(n=64, batch=16)
    history = trainer.fit(batches, batches[:1] if val else None, epochs=epochs,
                          callbacks=callbacks)
    return model, trainer, history


@pytest.mark.parametrize("min_delta,stop,best", [(0.0, 5, 3), (0.02, 3, 1)])
def test_early_stopping_stops_at_the_right_epoch_and_restores_best(min_delta, stop, best):
    # epoch:    0    1    2     3     4    5    6    7
    losses = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.1, 0.1]
    # without min_delta 0.79 improves on 0.8 (best epoch 3), then 2 bad epochs stop at 5;
    # with min_delta 0.02 it does not (needs < 0.78), so epochs 2, 3 are bad: stop at 3
    script = Script(val_loss=losses)
    stopper = EarlyStopping(patience=2, min_delta=min_delta, restore_best_weights=True)
    model, _, history = run([script, stopper], epochs=8)
    assert history.epoch == list(range(stop + 1))
    assert stopper.stopped_epoch == stop and stopper.best_epoch == best
    assert stopper.best == losses[best]
    final = state_numpy(model)
    assert any(k.endswith("running_mean") for k in final)
    for key, value in script.snapshots[best].items():
        np.testing.assert_array_equal(final[key], value, err_msg=key)  # bit for bit
    assert not np.array_equal(final["0.weight"], script.snapshots[stop]["0.weight"])


def test_early_stopping_max_mode_patience_zero_and_no_restore():
    script = Script(val_accuracy=[0.5, 0.7, 0.7, 0.9])
    stopper = EarlyStopping(monitor="val_accuracy", patience=0)  # 'auto' -> max for accuracy
    model, _, history = run([script, stopper], epochs=4)
    assert history.epoch == [0, 1, 2] and stopper.stopped_epoch == 2
    np.testing.assert_array_equal(state_numpy(model)["0.weight"], script.snapshots[2]["0.weight"])
    # running to the end without stopping: stopped_epoch stays None, best weights still restored
    script = Script(loss=[3.0, 2.0, 2.5])
    stopper = EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    model, _, history = run([script, stopper], epochs=3, val=False)
    assert stopper.stopped_epoch is None and len(history.epoch) == 3
    np.testing.assert_array_equal(state_numpy(model)["0.weight"], script.snapshots[1]["0.weight"])


def test_monitor_errors_are_clear():
    check_raises(lambda: run([EarlyStopping()], epochs=1, val=False), KeyError,
                 "EarlyStopping", "'val_loss'", "pass val_data")
    check_raises(lambda: EarlyStopping(mode="up"), ValueError, "EarlyStopping", "mode")
    check_raises(lambda: EarlyStopping(patience=-1), ValueError, "patience")


def read_header(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n))


def test_model_checkpoint_writes_only_on_improvement(tmp_path):
    script = Script(val_loss=[0.5, 0.6, 0.4, 0.4, 0.3])
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.safetensors",
                           save_best_only=True)
    best = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)
    run([script, ckpt, best], epochs=5)
    names = ["m-01-0.50.safetensors", "m-03-0.40.safetensors", "m-05-0.30.safetensors"]
    assert sorted(os.listdir(tmp_path)) == sorted(names + ["best.safetensors"])  # no temp files
    assert [os.path.basename(p) for p in ckpt.saved] == names and ckpt.best == 0.3
    for name, epoch in zip(names, [0, 2, 4]):
        loaded = glia.load(tmp_path / name)
        for key, value in script.snapshots[epoch].items():
            np.testing.assert_array_equal(loaded[key].numpy(), value)
    meta = read_header(tmp_path / "best.safetensors")["__metadata__"]
    assert meta["epoch"] == "5" and float(meta["val_loss"]) == 0.3
    # the file loads straight back into a fresh model
    fresh = bn_model()
    fresh.load_state_dict(glia.load(tmp_path / "best.safetensors"))
    for key, value in state_numpy(fresh).items():
        np.testing.assert_array_equal(value, script.snapshots[4][key])


def test_model_checkpoint_every_epoch(tmp_path):
    script = Script()  # snapshots the weights at each epoch end, before the checkpoint
    ckpt = ModelCheckpoint(tmp_path / "e{epoch}.safetensors", monitor="loss")
    run([script, ckpt], epochs=3, val=False)
    assert sorted(os.listdir(tmp_path)) == ["e1.safetensors", "e2.safetensors", "e3.safetensors"]
    assert [os.path.basename(p) for p in ckpt.saved] == ["e1.safetensors", "e2.safetensors",
                                                        "e3.safetensors"]
    for epoch in range(3):
        loaded = glia.load(tmp_path / f"e{epoch + 1}.safetensors")
        assert set(loaded) == set(script.snapshots[epoch])
        for key, value in script.snapshots[epoch].items():
            np.testing.assert_array_equal(loaded[key].numpy(), value, err_msg=f"{epoch} {key}")
    # the weights changed between epochs, so each file holds its own epoch's state
    assert not np.array_equal(script.snapshots[0]["0.weight"], script.snapshots[2]["0.weight"])


def torch_plateau_lrs(losses, **kwargs):
    """The lr torch's ReduceLROnPlateau gives for each epoch when fed `losses`."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for loss in losses:
        lrs.append(opt.param_groups[0]["lr"])
        sched.step(loss)
    return lrs + [opt.param_groups[0]["lr"]]


def test_reduce_lr_on_plateau_steps_on_the_monitored_value():
    losses = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9]
    model = bn_model()
    opt = glia.optim.SGD(model.parameters(), lr=0.05)
    sched = glia.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, verbose=0)
    batches = xor_batches(n=32, batch=16)
    history = trainer.fit(batches, batches, epochs=10,
                          callbacks=[Script(val_loss=losses), LRSchedulerCallback(sched)])
    want = torch_plateau_lrs(losses, factor=0.5, patience=1)
    np.testing.assert_allclose(history["lr"], want[:-1])  # the lr each epoch trained with
    assert opt.param_groups[0]["lr"] == pytest.approx(want[-1])
    assert want[-1] < want[0]  # it did reduce


def test_epoch_and_batch_schedulers_match_torch():
    model = bn_model()
    opt = glia.optim.SGD(model.parameters(), lr=0.05)
    step = glia.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    _, _, history = run([LRSchedulerCallback(step)], epochs=5, model=model, opt=opt, val=False)
    np.testing.assert_allclose(history["lr"], [0.05, 0.05, 0.025, 0.025, 0.0125])
    model = bn_model()
    opt = glia.optim.SGD(model.parameters(), lr=0.05)
    one = glia.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=8)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, verbose=0)
    seen = []

    class LrPerBatch(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(opt.param_groups[0]["lr"])

    trainer.fit(xor_batches(n=64, batch=16), epochs=2,
                callbacks=[LrPerBatch(), LRSchedulerCallback(one, interval="batch")])
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    tone = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=8)
    want = []
    for _ in range(8):
        want.append(topt.param_groups[0]["lr"])
        topt.step()
        tone.step()
    np.testing.assert_allclose(seen, want, rtol=1e-12)
    check_raises(lambda: LRSchedulerCallback(opt), TypeError, "LRSchedulerCallback")
    plateau = glia.optim.lr_scheduler.ReduceLROnPlateau(opt)
    check_raises(lambda: LRSchedulerCallback(plateau, interval="batch"), ValueError, "epoch")


def test_gradient_clipping_clips_before_the_step():
    x = glia.tensor([[3.0, -4.0], [1.0, 2.0]])
    y = glia.tensor([[10.0], [-10.0]])
    model = nn.Linear(2, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # the unclipped gradient, computed by hand on a copy
    probe = nn.Linear(2, 1)
    probe.load_state_dict(before)
    nn.MSELoss()(probe(x), y).backward()
    grads = [probe.weight.grad.numpy(), probe.bias.grad.numpy()]
    norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    assert norm > 1.0
    norms_seen = []

    class NormAfterClip(Callback):
        def on_after_backward(self, batch):
            norms_seen.append(np.sqrt(sum((p.grad.numpy() ** 2).sum()
                                          for p in self.model.parameters())))

    clip = GradientClipping(max_norm=1.0)
    trainer = Trainer(model, nn.MSELoss(), glia.optim.SGD(model.parameters(), lr=1.0), verbose=0)
    trainer.fit([(x, y)], epochs=1, callbacks=[clip, NormAfterClip()])
    assert clip.last_norm == pytest.approx(norm, rel=1e-5)
    assert norms_seen[0] == pytest.approx(1.0, rel=1e-5)
    scale = 1.0 / (norm + 1e-6)
    np.testing.assert_allclose(model.weight.detach().numpy(),
                               before["weight"].numpy() - grads[0] * scale, rtol=1e-5)
    np.testing.assert_allclose(model.bias.detach().numpy(),
                               before["bias"].numpy() - grads[1] * scale, rtol=1e-5)
    check_raises(lambda: GradientClipping(0), ValueError, "max_norm")


def test_csv_logger_rows_match_the_history(tmp_path):
    path = tmp_path / "log.csv"
    _, _, history = run([CSVLogger(path)], epochs=3)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for i, name in enumerate(rows[0][1:], start=1):
        assert [float(r[i]) for r in rows[1:]] == history[name]  # exact: floats in full
    # append keeps the header and adds rows
    run([CSVLogger(path, append=True)], epochs=2)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and rows.count(rows[0]) == 1 and [r[0] for r in rows[4:]] == ["0", "1"]
    run([CSVLogger(path, separator=";")], epochs=1, val=False, metrics=())
    assert path.read_text().splitlines()[0] == "epoch;loss;lr"


def test_progress_bar_shows_live_logs_and_is_off_when_not_a_terminal(capsys):
    out = io.StringIO()
    run([ProgressBar(enabled=True, file=out, mininterval=0)], epochs=2)
    text = out.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text
    assert "4/4" in text and "loss" in text and "val_accuracy" in text
    quiet = io.StringIO()  # not a terminal: the automatic setting shows nothing
    run([ProgressBar(file=quiet)], epochs=1)
    assert quiet.getvalue() == ""
    run([], epochs=1)  # verbose=0
    model = bn_model()
    trainer = Trainer(model, nn.CrossEntropyLoss(), glia.optim.SGD(model.parameters(), lr=0.1),
                      verbose=2)
    trainer.fit(xor_batches(n=32), epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2") and "loss" in lines[1]
