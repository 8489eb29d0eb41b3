"""Byte-level byte-pair encoding (as GPT-2's): text is UTF-8 bytes (ids 0-255), and training
learns merges of the most frequent adjacent pair into a new id (256, 257, ...). Any text
encodes, and decode(encode(text)) == text exactly."""
import collections
import heapq
import math
import numbers
import re

from glia.text._io import load_json, save_json_atomic

# Pre-split so merges never cross a word boundary: contractions, letters, digits, other
# symbols (each run with at most one leading space), and whitespace. The pieces concatenate
# back to the text exactly.
SPLIT_PATTERN = re.compile(
    r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")


class BPETokenizer:
    """Byte-level BPE: ``train(corpus, vocab_size=... or num_merges=...)``, ``encode``,
    ``decode``, ``save``/``load`` (JSON).

    Training counts adjacent pairs within pre-split pieces, merges the most frequent one
    (ties: the smallest pair of ids), and repeats until `num_merges` merges are learned or
    no pair occurs `min_frequency` times.
    """

    def __init__(self, merges=()):
        self.merges = []
        self._ranks = {}
        self._bytes = [bytes([b]) for b in range(256)]
        for a, b in merges:
            self._add_merge(int(a), int(b))
        self._cache = {}

    def _add_merge(self, a, b):
        n = len(self._bytes)
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"BPETokenizer: merge ({a}, {b}) refers to an id >= {n}")
        if (a, b) in self._ranks:
            raise ValueError(f"BPETokenizer: merge ({a}, {b}) is listed twice (first as merge "
                             f"{self._ranks[(a, b)]}, again as merge {len(self.merges)})")
        self._ranks[(a, b)] = len(self.merges)
        self.merges.append((a, b))
        self._bytes.append(self._bytes[a] + self._bytes[b])

    @property
    def vocab_size(self):
        """256 byte ids plus one id per merge."""
        return len(self._bytes)

    def train(self, corpus, vocab_size=None, num_merges=None, min_frequency=2):
        """Learns merges from `corpus` (a str or an iterable of str); returns self.

        Give the final `vocab_size` (>= 256) or the number of new merges `num_merges`.
        A trained tokenizer learns further merges on top of those it has, starting from the
        corpus as it now encodes it (so training twice on a corpus equals one longer run).
        """
        if (vocab_size is None) == (num_merges is None):
            raise ValueError("BPETokenizer.train: give exactly one of vocab_size and num_merges")
        if vocab_size is not None:
            if not isinstance(vocab_size, numbers.Integral) or vocab_size < 256:
                raise ValueError(f"BPETokenizer.train: vocab_size must be an int >= 256 (the "
                                 f"byte ids), got {vocab_size!r}")
            num_merges = vocab_size - self.vocab_size
        if not isinstance(num_merges, numbers.Integral) or num_merges < 0:
            raise ValueError(f"BPETokenizer.train: num_merges must be an int >= 0, got "
                             f"{num_merges!r}")
        texts = [corpus] if isinstance(corpus, str) else corpus
        piece_counts = collections.Counter()
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"BPETokenizer.train: corpus must hold str, got "
                                f"{type(text).__name__}")
            piece_counts.update(SPLIT_PATTERN.findall(text))
        words = [self._segment(p) for p in piece_counts]
        freqs = list(piece_counts.values())
        try:
            self._learn(words, freqs, num_merges, min_frequency)
        finally:
            self._cache = {}  # encodings made before these merges are stale
        return self

    def _learn(self, words, freqs, num_merges, min_frequency):
        pairs = collections.Counter()
        where = collections.defaultdict(set)  # pair -> ids of words that contain it
        for w, (word, f) in enumerate(zip(words, freqs)):
            for pair in zip(word, word[1:]):
                pairs[pair] += f
                where[pair].add(w)
        heap = [(-c, p) for p, c in pairs.items()]
        heapq.heapify(heap)
        for _ in range(num_merges):
            while heap and pairs.get(heap[0][1], 0) != -heap[0][0]:
                heapq.heappop(heap)  # a stale count
            if not heap or -heap[0][0] < min_frequency:
                break
            best = heapq.heappop(heap)[1]
            self._add_merge(*best)
            new_id = len(self._bytes) - 1
            changed = set()
            for w in where.pop(best):
                word, f = words[w], freqs[w]
                for pair in zip(word, word[1:]):
                    pairs[pair] -= f
                    changed.add(pair)
                word = _merge(word, best, new_id)
                words[w] = word
                for pair in zip(word, word[1:]):
                    pairs[pair] += f
                    where[pair].add(w)
                    changed.add(pair)
            for pair in changed:
                if pairs[pair] > 0:
                    heapq.heappush(heap, (-pairs[pair], pair))
                else:
                    del pairs[pair]

    def _segment(self, piece):
        """The ids of one pre-split piece under the current merges (uncached)."""
        ids = list(piece.encode("utf-8"))
        while len(ids) > 1:
            # apply the earliest-learned merge present, as training did
            pair = min(zip(ids, ids[1:]), key=lambda p: self._ranks.get(p, math.inf))
            if pair not in self._ranks:
                break
            ids = _merge(ids, pair, 256 + self._ranks[pair])
        return ids

    def _bpe(self, piece):
        ids = self._cache.get(piece)
        if ids is None:
            ids = self._segment(piece)
            if len(self._cache) < 100_000:
                self._cache[piece] = ids
        return ids

    def encode(self, text):
        """Text -> list of ids."""
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.encode: expected a str, got {type(text).__name__}")
        return [i for piece in SPLIT_PATTERN.findall(text) for i in self._bpe(piece)]

    def decode(self, ids):
        """Ids -> text. Bytes that do not form valid UTF-8 (possible only for id sequences
        that are not an encoding of some text) become U+FFFD."""
        n = len(self._bytes)
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise IndexError(f"BPETokenizer.decode: id {i} is out of range for a "
                                 f"vocabulary of {n}")
            out.append(self._bytes[i])
        return b"".join(out).decode("utf-8", errors="replace")

    def token_bytes(self, index):
        """The bytes that id `index` stands for."""
        return self._bytes[index]

    def save(self, path):
        """Writes the merges to a JSON file, atomically."""
        save_json_atomic({"type": "glia.BPETokenizer", "version": 1,
                          "merges": [list(m) for m in self.merges]}, path)

    @classmethod
    def load(cls, path):
        obj = load_json(path, "glia.BPETokenizer", "BPETokenizer.load")
        merges = obj.get("merges")
        if not isinstance(merges, list) or not all(
                isinstance(m, list) and len(m) == 2 and all(isinstance(v, int) for v in m)
                for m in merges):
            raise ValueError(f"BPETokenizer.load: {path} has no valid list of merges")
        return cls(merges)

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size})"


def _merge(ids, pair, new_id):
    """ids with every non-overlapping occurrence of `pair` (left to right) -> new_id."""
    out, i, a, b = [], 0, pair[0], pair[1]
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
