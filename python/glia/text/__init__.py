"""Text: tokenizers (character, word, byte-pair), vocabularies, bag-of-words and TF-IDF
vectors, and padding of token sequences."""
from glia.text.bpe import BPETokenizer  # noqa: F401
from glia.text.padding import PadCollate, pad_sequences  # noqa: F401
from glia.text.tokenizer import CharTokenizer, WordTokenizer  # noqa: F401
from glia.text.vectorize import BagOfWords, TfidfVectorizer  # noqa: F401
from glia.text.vocab import Vocab  # noqa: F401
