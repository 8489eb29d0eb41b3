"""A tiny BERT: an encoder-only character transformer trained by masked-language-modelling
on a real text (glia.data.load_text_corpus, read offline). 15% of the characters of each
window are hidden (80% replaced by a [MASK] id, 10% by a random character, 10% kept) and
the model predicts them from both sides. Reports held-out masked-character accuracy against
the unigram baseline (always guessing the most frequent character).

    python examples/tiny_bert.py             # full run (about a minute on 2 cores)
    python examples/tiny_bert.py --epochs 2  # a quick look
"""
import numpy as np

import glia
from glia import nn
from glia.data import load_text_corpus

import _lm_common

IGNORE = -100  # cross_entropy's ignore_index: positions that were not masked


class TinyBERT(nn.Module):
    """Token + sinusoidal position encodings, a bidirectional (unmasked) transformer encoder
    and a linear head over the characters."""

    def __init__(self, vocab_size, d_model=64, nhead=4, num_layers=2, max_len=512):
        super().__init__()
        self.tok = nn.Embedding(vocab_size + 1, d_model)  # the extra id is [MASK]
        self.pos = nn.SinusoidalPositionalEncoding(d_model, max_len, batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids):
        return self.head(self.encoder(self.pos(self.tok(ids))))


def masked_batch(data, block_size, batch_size, vocab_size, rng, mask_prob=0.15):
    """Random windows with BERT's masking: (inputs, targets), targets IGNORE where unmasked."""
    start = rng.integers(0, len(data) - block_size, batch_size)
    x = data[start[:, None] + np.arange(block_size)[None]]
    chosen = rng.random(x.shape) < mask_prob
    y = np.where(chosen, x, IGNORE)
    action = rng.random(x.shape)
    inputs = x.copy()
    inputs[chosen & (action < 0.8)] = vocab_size  # [MASK]
    swap = chosen & (action >= 0.8) & (action < 0.9)
    inputs[swap] = rng.integers(0, vocab_size, int(swap.sum()))
    return inputs, y


def masked_accuracy(model, data, block_size, vocab_size, batches=10, batch_size=64, seed=1):
    """Accuracy on the masked positions of held-out windows."""
    model.eval()
    rng = np.random.default_rng(seed)
    correct = total = 0
    with glia.no_grad():
        for _ in range(batches):
            x, y = masked_batch(data, block_size, batch_size, vocab_size, rng)
            pred = model(glia.tensor(x)).argmax(-1).numpy()
            sel = y != IGNORE
            correct += int((pred[sel] == y[sel]).sum())
            total += int(sel.sum())
    model.train()
    return correct / max(total, 1)


def train(epochs=8, steps_per_epoch=150, batch_size=32, block_size=64, d_model=64, nhead=4,
          num_layers=2, lr=3e-3, seed=0, out=print):
    """Trains with MLM; returns (held-out masked accuracy, unigram baseline, per-epoch
    losses)."""
    glia.manual_seed(seed)
    text = load_text_corpus()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = np.array([index[c] for c in text], dtype=np.int64)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    counts = np.bincount(train_data, minlength=len(chars))
    baseline = float((val_data == counts.argmax()).mean())
    out(f"{len(text)} characters, vocabulary {len(chars)}; unigram baseline (always "
        f"{chars[counts.argmax()]!r}) {baseline:.1%}")
    model = TinyBERT(len(chars), d_model, nhead, num_layers, max_len=block_size)
    rng = np.random.default_rng(seed)

    def after_epoch(epoch, train_loss, seconds):
        acc = masked_accuracy(model, val_data, block_size, len(chars))
        out(f"epoch {epoch + 1:3d}  train loss {train_loss:.3f}  held-out masked accuracy "
            f"{acc:.1%}  ({seconds:.1f}s)")

    losses = _lm_common.fit(
        model, lambda: masked_batch(train_data, block_size, batch_size, len(chars), rng),
        epochs, steps_per_epoch, lr, after_epoch, ignore_index=IGNORE)
    acc = masked_accuracy(model, val_data, block_size, len(chars), batches=30)
    out(f"masked-character accuracy {acc:.1%} vs unigram baseline {baseline:.1%}")
    return acc, baseline, losses


if __name__ == "__main__":
    _lm_common.main(train, __doc__)
