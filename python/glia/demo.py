"""The README's main job: train a small MLP on a generated two-spirals problem with plain
gradient descent, printing the loss as it falls and the final accuracy."""
import math

import numpy as np

import glia


def two_spirals(n_per_class=200, noise=0.15, seed=0):
    """Two interleaved spirals in 2-D: a classic problem no linear model can solve."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n_per_class)) * 3 * math.pi
    a = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 10
    b = -a
    x = np.concatenate([a, b]) + rng.normal(0, noise / 10 * 3, (2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return x.astype(np.float32), y.astype(np.float32)


def run(steps=1500, hidden=64, lr=0.5, seed=0, log_every=150, out=print):
    """Fits a 2-64-64-1 tanh MLP with full-batch gradient descent; returns (losses, accuracy)."""
    glia.manual_seed(seed)
    x_np, y_np = two_spirals(seed=seed)
    x, y = glia.tensor(x_np), glia.tensor(y_np).reshape(-1, 1)

    def layer(n_in, n_out):
        bound = 1 / math.sqrt(n_in)
        w = (glia.rand(n_in, n_out) * 2 - 1) * bound
        b = (glia.rand(n_out) * 2 - 1) * bound
        return w.requires_grad_(), b.requires_grad_()

    params = [*layer(2, hidden), *layer(hidden, hidden), *layer(hidden, 1)]
    w1, b1, w2, b2, w3, b3 = params
    losses = []
    out(f"glia demo: 2-{hidden}-{hidden}-1 MLP on two spirals ({len(x_np)} points), "
        f"gradient descent lr={lr}")
    for step in range(steps + 1):
        h = glia.tanh(x @ w1 + b1)
        h = glia.tanh(h @ w2 + b2)
        logits = h @ w3 + b3
        # binary cross-entropy with logits, written out: softplus(z) - y * z
        loss = (glia.relu(logits) + glia.log1p(glia.exp(-logits.abs())) - y * logits).mean()
        losses.append(loss.item())
        for p in params:
            p.grad = None
        loss.backward()
        with glia.no_grad():
            for p in params:
                p.sub_(p.grad * lr)
        if step % log_every == 0:
            out(f"  step {step:5d}  loss {loss.item():.4f}")
    with glia.no_grad():
        h = glia.tanh(glia.tanh(x @ w1 + b1) @ w2 + b2)
        pred = ((h @ w3 + b3) > 0).float()
        accuracy = (pred == y).float().mean().item()
    out(f"final loss {losses[-1]:.4f} (from {losses[0]:.4f}), training accuracy {accuracy:.1%}")
    return losses, accuracy
