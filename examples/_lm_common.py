"""Shared by tiny_gpt.py and tiny_bert.py: the training loop and the command line."""
import argparse
import time

import glia
from glia import nn


def fit(model, next_batch, epochs, steps_per_epoch, lr, after_epoch, ignore_index=-100):
    """Trains `model` (ids (N, T) -> logits (N, T, C)) by cross entropy with AdamW (weight
    decay 0.01), a cosine learning-rate schedule and gradient clipping at norm 1.

    next_batch() gives one step's numpy (inputs, targets); targets equal to ignore_index
    do not count. after_epoch(epoch, mean training loss, seconds so far) runs after each
    epoch. Returns the per-epoch mean training losses.
    """
    opt = glia.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = glia.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    losses, start = [], time.perf_counter()
    for epoch in range(epochs):
        total = 0.0
        for _ in range(steps_per_epoch):
            x, y = next_batch()
            logits = model(glia.tensor(x))
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               glia.tensor(y.reshape(-1)),
                                               ignore_index=ignore_index)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
        losses.append(total / steps_per_epoch)
        after_epoch(epoch, losses[-1], time.perf_counter() - start)
    return losses


def main(train, doc):
    """The examples' command line: --epochs, --steps (per epoch) and --seed, passed to train."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=150, help="steps per epoch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(epochs=args.epochs, steps_per_epoch=args.steps, seed=args.seed)
