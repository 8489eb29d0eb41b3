"""A character-level LSTM language model on a real offline text: the source of a slice of
Python's own standard library (glia.data.load_text_corpus, about 425k characters; nothing
is downloaded).

This is glia's "the hidden state is first-class" example: the text is cut into `batch_size`
parallel streams and read in windows of `bptt` characters, and the LSTM's (h, c) state is
carried from one window to the next, detached, so the model sees long context while
backpropagation through time stops at the window edge (truncated BPTT).

    python examples/char_lstm.py              # full run: about a minute on 2 cores
    python examples/char_lstm.py --epochs 1   # a quick look

Prints the training loss per epoch in bits per character, the held-out loss, the unigram
entropy of the text (what a model that ignores context would get), and a sampled
continuation.
"""
import argparse
import math
import time

import numpy as np

import glia
import glia.data
from glia import nn


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear over the character vocabulary."""

    def __init__(self, vocab, embed=32, hidden=256, layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        """x: int64 (T, B) -> logits (T, B, vocab), new (h, c)."""
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def unigram_entropy_bits(ids, vocab):
    p = np.bincount(ids, minlength=vocab) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def streams(ids, batch_size):
    """The id sequence as (steps, batch_size) parallel streams (column b is one stretch of text)."""
    steps = len(ids) // batch_size
    return ids[: steps * batch_size].reshape(batch_size, steps).T.copy()


def detach(state):
    return tuple(s.detach() for s in state)


def evaluate(model, data, bptt, loss_fn):
    """Mean loss in bits per character over (steps, B) streams, state carried throughout."""
    total, count, state = 0.0, 0, None
    with glia.no_grad():
        for i in range(0, data.shape[0] - 1, bptt):
            n = min(bptt, data.shape[0] - 1 - i)
            logits, state = model(glia.tensor(data[i:i + n]), state)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), glia.tensor(data[i + 1:i + 1 + n].reshape(-1)))
            total += loss.item() * n
            count += n
    return total / count / math.log(2)


def sample(model, prime, chars, index, length=300, temperature=0.8, seed=0):
    """Feeds `prime`, then draws `length` characters one step at a time, carrying the state."""
    rng = np.random.default_rng(seed)
    state, out = None, []
    with glia.no_grad():
        ids = np.array([index[c] for c in prime], dtype=np.int64)[:, None]
        logits, state = model(glia.tensor(ids), state)
        last = logits[-1, 0].numpy()
        for _ in range(length):
            p = np.exp((last - last.max()) / temperature)
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(chars[nxt])
            logits, state = model(glia.tensor(np.array([[nxt]], dtype=np.int64)), state)
            last = logits[-1, 0].numpy()
    return prime + "".join(out)


def train(epochs=10, max_chars=None, batch_size=32, bptt=64, hidden=256, lr=3e-3, seed=0,
          sample_length=300, out=print):
    """Trains the model with truncated BPTT; returns (per-epoch training bits per char,
    held-out bits per char, unigram entropy in bits)."""
    glia.manual_seed(seed)
    text = glia.data.load_text_corpus(max_chars)
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.int64)
    split = int(len(ids) * 0.95)
    train_data, val_data = streams(ids[:split], batch_size), streams(ids[split:], 4)
    entropy = unigram_entropy_bits(ids, len(chars))
    out(f"{len(text)} characters, {len(chars)} distinct; unigram entropy {entropy:.3f} bits/char")

    model = CharLSTM(len(chars), hidden=hidden)
    opt = glia.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    start = time.perf_counter()
    for epoch in range(epochs):
        state, total, count = None, 0.0, 0
        for i in range(0, train_data.shape[0] - 1, bptt):
            n = min(bptt, train_data.shape[0] - 1 - i)
            x = glia.tensor(train_data[i:i + n])
            y = glia.tensor(train_data[i + 1:i + 1 + n].reshape(-1))
            # carry the state over from the previous window, but not its graph
            logits, state = model(x, None if state is None else detach(state))
            loss = loss_fn(logits.reshape(-1, len(chars)), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item() * n
            count += n
        losses.append(total / count / math.log(2))
        out(f"epoch {epoch + 1:3d}  train {losses[-1]:.3f} bits/char  "
            f"(unigram {entropy:.3f})  {time.perf_counter() - start:.1f}s")
    val = evaluate(model, val_data, bptt, loss_fn)
    out(f"held-out loss {val:.3f} bits/char vs unigram entropy {entropy:.3f}")
    if sample_length:
        out("sample:\n" + sample(model, "def ", chars, index, sample_length))
    return losses, val, entropy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--max-chars", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(epochs=args.epochs, hidden=args.hidden, max_chars=args.max_chars, seed=args.seed)


if __name__ == "__main__":
    main()
