"""A tiny GPT: a decoder-only (causal) character-level transformer trained on a real text
(glia.data.load_text_corpus: a fixed slice of the Python standard library's source, read
offline). Prints the training and held-out loss per epoch and a sample generated with the
key/value cache (each new character costs one attention step per layer, not a recomputation
of the whole prefix).

    python examples/tiny_gpt.py              # full run (about a minute on 2 cores)
    python examples/tiny_gpt.py --epochs 2   # a quick look
"""
import math

import numpy as np

import glia
from glia import nn
from glia.data import load_text_corpus

import _lm_common


class CharVocab:
    """Characters of a text <-> int64 ids."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)


class TinyGPT(nn.Module):
    """Token + learned position embeddings, pre-norm causal transformer blocks (the encoder
    layer with a causal mask is GPT's block), final LayerNorm and a linear head."""

    def __init__(self, vocab_size, block_size=64, d_model=64, nhead=4, num_layers=2,
                 dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.LearnedPositionalEmbedding(block_size, d_model, batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids, cache=None, offset=0):
        """ids (N, T) -> logits (N, T, vocab). With a cache (from new_cache()), ids are the
        next positions starting at `offset` and attend to everything cached before them."""
        x = self.pos(self.tok(ids), offset=offset)
        return self.head(self.blocks(x, is_causal=True, cache=cache))

    def new_cache(self):
        return self.blocks.new_cache()


def batch(data, block_size, batch_size, rng):
    """Random (inputs, next-character targets) windows of block_size characters."""
    start = rng.integers(0, len(data) - block_size - 1, batch_size)
    win = data[start[:, None] + np.arange(block_size + 1)[None]]
    return win[:, :-1], win[:, 1:]


def mean_loss(model, data, block_size, batch_size=64, steps=8, seed=1):
    model.eval()
    rng = np.random.default_rng(seed)
    total = 0.0
    with glia.no_grad():
        for _ in range(steps):
            x, y = batch(data, block_size, batch_size, rng)
            logits = model(glia.tensor(x))
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 glia.tensor(y.reshape(-1))).item()
    model.train()
    return total / steps


def generate(model, vocab, prompt, length, temperature=0.8, seed=0):
    """Samples `length` characters after `prompt`, one at a time, with the KV cache."""
    model.eval()
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt))
    length = min(length, model.block_size - len(ids))  # learned positions end at block_size
    cache = model.new_cache()
    with glia.no_grad():
        logits = model(glia.tensor(np.array([ids])), cache=cache)  # the prompt in one pass
        for _ in range(length):
            last = logits.numpy()[0, -1] / temperature
            p = np.exp(last - last.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            ids.append(nxt)
            logits = model(glia.tensor(np.array([[nxt]])), cache=cache, offset=len(ids) - 1)
    model.train()
    return vocab.decode(ids)


def train(epochs=8, steps_per_epoch=150, batch_size=32, block_size=64, d_model=64, nhead=4,
          num_layers=2, lr=3e-3, max_chars=None, seed=0, sample_length=120, out=print):
    """Trains the model; returns (per-epoch training losses, per-epoch held-out losses,
    generated sample)."""
    glia.manual_seed(seed)
    text = load_text_corpus(max_chars)
    vocab = CharVocab(text)
    data = vocab.encode(text)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    model = TinyGPT(len(vocab), block_size, d_model, nhead, num_layers)
    rng = np.random.default_rng(seed)
    out(f"{len(text)} characters, vocabulary {len(vocab)}, uniform loss "
        f"{math.log(len(vocab)):.3f}")
    val_losses = []

    def after_epoch(epoch, train_loss, seconds):
        val_losses.append(mean_loss(model, val_data, block_size))
        out(f"epoch {epoch + 1:3d}  train loss {train_loss:.3f}  held-out loss "
            f"{val_losses[-1]:.3f}  ({seconds:.1f}s)")

    train_losses = _lm_common.fit(model, lambda: batch(train_data, block_size, batch_size, rng),
                                  epochs, steps_per_epoch, lr, after_epoch)
    sample = generate(model, vocab, "def ", sample_length, seed=seed)
    out("sample:\n" + sample)
    return train_losses, val_losses, sample


if __name__ == "__main__":
    _lm_common.main(train, __doc__)
