import pytest

from glia.text import CharTokenizer, Vocab, WordTokenizer
from helpers import check_raises


@pytest.mark.parametrize("text, tokens", [
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("Don't stop-now: it's 3.14 or 1,000.", ["Don't", "stop-now", ":", "it's", "3.14", "or",
                                            "1,000", "."]),
    ("  tabs\tand\nnewlines  ", ["tabs", "and", "newlines"]),
    ("(a) [b] {c} \"q\" x+y=z", ["(", "a", ")", "[", "b", "]", "{", "c", "}", '"', "q", '"', "x",
                               "+", "y", "=", "z"]),
    ("naïve café -- über", ["naïve", "café", "-", "-", "über"]),
    ("", []),
])
def test_word_tokenizer_rules(text, tokens):
    assert WordTokenizer().tokenize(text) == tokens


def test_word_tokenizer_lowercase_and_round_trip():
    tok = WordTokenizer(lowercase=True)
    assert tok.tokenize("The CAT sat.") == ["the", "cat", "sat", "."]
    corpus = ["The cat sat on the mat.", "The dog (a big one) sat, too!"]
    tok.fit(corpus)
    ids = tok.encode("the dog sat on the cat.", add_bos=True, add_eos=True)
    assert ids[0] == Vocab.bos_id and ids[-1] == Vocab.eos_id
    assert tok.decode(ids) == "the dog sat on the cat."
    assert tok.decode(tok.encode("The dog (a big one) sat, too!")) == \
        "the dog (a big one) sat, too!"
    assert tok.encode("zebra")[0] == Vocab.unk_id
    assert tok.vocab["the"] == 4  # the most frequent token gets the first free id


def test_char_tokenizer_round_trip():
    text = "héllo wörld\n\ttabs 123 ☃"
    tok = CharTokenizer().fit([text])
    assert tok.tokenize("ab") == ["a", "b"]
    ids = tok.encode(text)
    assert len(ids) == len(text) and min(ids) >= 4
    assert tok.decode(ids) == text
    assert tok.encode("Z") == [Vocab.unk_id]
    assert len(tok.vocab) == 4 + len(set(text))


def test_tokenizer_errors():
    check_raises(lambda: CharTokenizer().encode("a"), RuntimeError, "CharTokenizer.encode",
                 "fit")
    check_raises(lambda: WordTokenizer().tokenize(3), TypeError, "WordTokenizer", "int")
    check_raises(lambda: CharTokenizer().tokenize(None), TypeError, "CharTokenizer")
