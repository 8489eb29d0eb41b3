"""Character and word tokenizers: text -> tokens, and with a fitted Vocab, -> ids."""
import re

from glia.text.vocab import Vocab

# Numbers with decimal or thousands separators; words with inner apostrophes or hyphens
# ("don't", "e-mail"); any other non-space character is a token of its own.
WORD_PATTERN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['\u2019-]\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]}'\u2019])")
_NO_SPACE_AFTER = re.compile(r"([(\[{$]) ")


class _Tokenizer:
    """fit (builds `vocab`), encode and decode around a subclass's `tokenize`/`join`."""

    vocab = None

    def fit(self, texts, min_freq=1, max_size=None):
        """Builds the vocabulary from an iterable of texts; returns self."""
        if isinstance(texts, str):
            texts = [texts]
        self.vocab = Vocab.build((self.tokenize(t) for t in texts), min_freq, max_size)
        return self

    def _vocab(self, op):
        if self.vocab is None:
            raise RuntimeError(f"{type(self).__name__}.{op}: call fit(texts) first")
        return self.vocab

    def encode(self, text, add_bos=False, add_eos=False):
        """Text -> list of ids (tokens outside the vocabulary -> Vocab.unk_id)."""
        return self._vocab("encode").encode(self.tokenize(text), add_bos, add_eos)

    def decode(self, ids):
        """Ids -> text, dropping <pad>/<bos>/<eos>."""
        return self.join(self._vocab("decode").decode(ids))


class CharTokenizer(_Tokenizer):
    """One token per character; decode(encode(text)) == text for characters seen by fit."""

    def tokenize(self, text):
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer: expected a str, got {type(text).__name__}")
        return list(text)

    def join(self, tokens):
        return "".join(tokens)


class WordTokenizer(_Tokenizer):
    """Splits on whitespace and punctuation: words (with inner ' or -) and numbers (with
    inner . or ,) are tokens, every other non-space character is a token of its own.

    Args:
        lowercase: lowercase the text before splitting.
    """

    def __init__(self, lowercase=False):
        self.lowercase = bool(lowercase)

    def tokenize(self, text):
        if not isinstance(text, str):
            raise TypeError(f"WordTokenizer: expected a str, got {type(text).__name__}")
        return WORD_PATTERN.findall(text.lower() if self.lowercase else text)

    def join(self, tokens):
        """Tokens -> text with single spaces, none before closing punctuation or after
        opening brackets (the original spacing is not kept)."""
        text = " ".join(tokens)
        return _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", text))
