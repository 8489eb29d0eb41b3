import json
import os

import pytest

from glia.data import load_text_corpus
from glia.text import BPETokenizer
from glia.text.bpe import SPLIT_PATTERN, _merge
from helpers import check_raises


@pytest.fixture(scope="module")
def corpus():
    return load_text_corpus(max_chars=60_000)


@pytest.fixture(scope="module")
def trained(corpus):
    return BPETokenizer().train(corpus, vocab_size=600)


def test_hand_computed_merges():
    # pieces "abab", " abab", " ab": pair counts (a,b)=5, (b,a)=2, (' ',a)=2
    tok = BPETokenizer().train(["abab abab ab"], num_merges=3, min_frequency=1)
    assert tok.merges[0] == (ord("a"), ord("b"))
    assert tok.token_bytes(256) == b"ab"
    # then the pieces are [ab ab], [' ' ab ab], [' ' ab]: (ab, ab)=2 and (' ', ab)=2 tie,
    # and the smaller pair of ids wins: (32, 256) first; then (256, 256) and (257, 256)
    # occur once each, and (256, 256) wins the tie
    assert tok.merges[1] == (32, 256) and tok.merges[2] == (256, 256)
    assert tok.encode("abab ab") == [258, 257]


def test_round_trip_exact(trained, corpus):
    assert trained.vocab_size == 600
    for text in (corpus[:5000], "Ünïcödé ☃ 日本語 emoji 🎉\n\ttabs  and   spaces  ",
                 "", " ", "x" * 100, "a_b__c"):
        assert trained.decode(trained.encode(text)) == text


def test_compresses_and_uses_learned_merges(trained, corpus):
    held_out = load_text_corpus(max_chars=120_000)[60_000:]
    n_bytes = len(held_out.encode("utf-8"))
    ids = trained.encode(held_out)
    assert len(ids) < 0.6 * n_bytes  # merges learned on one part compress another
    assert max(ids) < trained.vocab_size and max(ids) >= 256


def test_pre_split_covers_the_text(corpus):
    assert "".join(SPLIT_PATTERN.findall(corpus)) == corpus


def test_encode_matches_training_segmentation(trained, corpus):
    # Training applies each merge, in order, to every piece; encode must end the same way.
    def replay(piece):
        ids = list(piece.encode("utf-8"))
        for rank, pair in enumerate(trained.merges):
            ids = _merge(ids, pair, 256 + rank)
        return ids

    pieces = sorted(set(SPLIT_PATTERN.findall(corpus[:20_000])))
    assert len(pieces) > 500
    for piece in pieces:
        assert trained.encode(piece) == replay(piece), piece


def test_training_twice_continues_from_the_current_merges(trained, corpus):
    text = corpus[:20_000]
    once = BPETokenizer().train(text, num_merges=120)
    twice = BPETokenizer().train(text, num_merges=50)
    twice.encode(text)  # fills the encode cache, which the second training must drop
    twice.train(text, vocab_size=256 + 120)
    assert twice.merges == once.merges and twice.vocab_size == once.vocab_size == 376
    assert len(set(twice.merges)) == 120
    assert twice.encode(text) == once.encode(text)
    assert [twice.token_bytes(i) for i in range(376)] == [once.token_bytes(i)
                                                         for i in range(376)]
    # a trained tokenizer keeps its merges and adds new ones learned on another corpus
    more = BPETokenizer(trained.merges).train(corpus[:5000] + "zqzqzq zqzqzq", num_merges=5)
    assert more.merges[:344] == trained.merges and len(set(more.merges)) == 349


def test_duplicate_merges_are_rejected(tmp_path):
    check_raises(lambda: BPETokenizer([(97, 98), (32, 256), (97, 98)]), ValueError,
                 "BPETokenizer", "(97, 98)", "twice")
    path = tmp_path / "dup.json"
    path.write_text('{"type": "glia.BPETokenizer", "merges": [[97, 98], [97, 98]]}')
    check_raises(lambda: BPETokenizer.load(path), ValueError, "(97, 98)", "twice")


def test_save_load_atomic(trained, tmp_path, corpus):
    path = tmp_path / "bpe.json"
    trained.save(path)
    assert json.loads(path.read_text())["type"] == "glia.BPETokenizer"
    assert os.listdir(tmp_path) == ["bpe.json"]
    loaded = BPETokenizer.load(path)
    assert loaded.merges == trained.merges
    sample = corpus[:3000]
    assert loaded.encode(sample) == trained.encode(sample)
    path.write_text('{"type": "glia.BPETokenizer", "merges": [[1, 999]]}')
    check_raises(lambda: BPETokenizer.load(path), ValueError, "BPETokenizer", "999")
    path.write_text("{not json")
    check_raises(lambda: BPETokenizer.load(path), ValueError, "BPETokenizer.load", "JSON")


def test_bpe_errors(trained):
    check_raises(lambda: BPETokenizer().train("ab", vocab_size=100), ValueError, "vocab_size",
                 "256")
    check_raises(lambda: BPETokenizer().train("ab"), ValueError, "BPETokenizer.train")
    check_raises(lambda: BPETokenizer().train([b"ab"], num_merges=1), TypeError, "bytes")
    check_raises(lambda: trained.decode([600]), IndexError, "BPETokenizer.decode", "600")
    check_raises(lambda: trained.encode(b"x"), TypeError, "BPETokenizer.encode")
