"""Vocab: token <-> id, with special tokens at fixed ids."""
import collections
import numbers

from glia.text._io import load_json, save_json_atomic

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)  # ids 0, 1, 2, 3 in every Vocab


class Vocab:
    """Maps tokens to ids and back. Ids 0-3 are always <pad>, <unk>, <bos>, <eos>
    (``pad_id``, ``unk_id``, ``bos_id``, ``eos_id``); the given tokens follow in order.
    Unknown tokens map to ``unk_id``.

    Build one from data with ``Vocab.build(token_lists, min_freq, max_size)``.
    """

    pad_id, unk_id, bos_id, eos_id = range(4)

    def __init__(self, tokens=()):
        self._itos = list(SPECIALS)
        self._stoi = {t: i for i, t in enumerate(SPECIALS)}
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"Vocab: tokens must be strings, got {type(token).__name__} "
                                f"{token!r}")
            if token in self._stoi:
                if token in SPECIALS:
                    continue
                raise ValueError(f"Vocab: duplicate token {token!r}")
            self._stoi[token] = len(self._itos)
            self._itos.append(token)

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None):
        """A Vocab of the tokens seen at least `min_freq` times, most frequent first (ties in
        sorted order), at most `max_size` entries in all (the 4 specials included).

        Args:
            token_lists: an iterable of token sequences (e.g. tokenized sentences).
        """
        if not isinstance(min_freq, numbers.Integral) or min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, numbers.Integral)
                                     or max_size < len(SPECIALS)):
            raise ValueError(f"Vocab.build: max_size must be an int >= {len(SPECIALS)} (the "
                             f"special tokens), got {max_size!r}")
        if isinstance(token_lists, str):
            raise TypeError("Vocab.build: expected an iterable of token lists, got a string; "
                            "tokenize it first")
        counts = collections.Counter()
        for tokens in token_lists:
            counts.update(tokens)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted((t for t, c in counts.items() if c >= min_freq),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - len(SPECIALS)]
        return cls(ranked)

    def __len__(self):
        return len(self._itos)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        return self._stoi.get(token, self.unk_id)

    def token_to_id(self, token):
        return self[token]

    def id_to_token(self, index):
        if not isinstance(index, numbers.Integral) or not 0 <= index < len(self):
            raise IndexError(f"Vocab: id {index!r} is out of range for a vocabulary of "
                             f"{len(self)} tokens")
        return self._itos[int(index)]

    @property
    def tokens(self):
        """All tokens in id order, specials first."""
        return list(self._itos)

    def encode(self, tokens, add_bos=False, add_eos=False):
        """Token sequence -> list of ids (unknown tokens -> unk_id)."""
        ids = [self._stoi.get(t, self.unk_id) for t in tokens]
        return ([self.bos_id] if add_bos else []) + ids + ([self.eos_id] if add_eos else [])

    def decode(self, ids, skip_specials=True):
        """Ids -> tokens; drops <pad>, <bos> and <eos> unless skip_specials=False."""
        skip = {self.pad_id, self.bos_id, self.eos_id} if skip_specials else set()
        return [self.id_to_token(int(i)) for i in ids if int(i) not in skip]

    def save(self, path):
        save_json_atomic({"type": "glia.Vocab", "version": 1, "tokens": self._itos[4:]}, path)

    @classmethod
    def load(cls, path):
        return cls(load_json(path, "glia.Vocab", "Vocab.load")["tokens"])

    def __repr__(self):
        return f"Vocab(size={len(self)})"
