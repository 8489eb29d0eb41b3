import pytest

from glia.text import Vocab
from helpers import check_raises


def test_special_tokens_have_fixed_ids():
    v = Vocab(["a", "b"])
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    assert v.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert v["<pad>"] == 0 and v["b"] == 5 and v["nope"] == v.unk_id
    assert v.id_to_token(4) == "a" and "a" in v and "z" not in v
    assert Vocab().tokens == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_build_min_freq_max_size_and_order():
    sentences = [["b", "a", "c", "a"], ["a", "d", "b", "<eos>"], ["e"]]
    v = Vocab.build(sentences)
    assert v.tokens[4:] == ["a", "b", "c", "d", "e"]  # by frequency, ties alphabetical
    assert Vocab.build(sentences, min_freq=2).tokens[4:] == ["a", "b"]
    assert len(Vocab.build(sentences, max_size=6)) == 6
    assert Vocab.build(sentences, max_size=6).tokens[4:] == ["a", "b"]


def test_encode_decode():
    v = Vocab.build([["x", "y", "y"]])
    ids = v.encode(["y", "x", "q"], add_bos=True, add_eos=True)
    assert ids == [2, 4, 5, 1, 3]
    assert v.decode(ids) == ["y", "x", "<unk>"]
    assert v.decode([0, 4, 0], skip_specials=False) == ["<pad>", "y", "<pad>"]


def test_save_load(tmp_path):
    v = Vocab.build([list("hello world")])
    v.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json").tokens == v.tokens
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]  # no temporary left
    (tmp_path / "bad.json").write_text('{"type": "glia.BPETokenizer"}')
    check_raises(lambda: Vocab.load(tmp_path / "bad.json"), ValueError, "Vocab.load",
                 "glia.BPETokenizer")


def test_vocab_errors():
    check_raises(lambda: Vocab(["a", "a"]), ValueError, "Vocab", "'a'")
    check_raises(lambda: Vocab([1]), TypeError, "Vocab", "int")
    check_raises(lambda: Vocab.build([["a"]], min_freq=0), ValueError, "min_freq", "0")
    check_raises(lambda: Vocab.build([["a"]], max_size=2), ValueError, "max_size", "2")
    check_raises(lambda: Vocab.build("text"), TypeError, "Vocab.build", "string")
    check_raises(lambda: Vocab().id_to_token(9), IndexError, "Vocab", "9")
    with pytest.raises(IndexError):
        Vocab().decode([4])
