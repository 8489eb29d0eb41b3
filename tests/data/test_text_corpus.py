import pytest

from glia.data import load_text_corpus


def test_corpus_is_real_sizable_and_deterministic():
    text = load_text_corpus()
    assert len(text) > 200_000
    assert text == load_text_corpus()
    assert "def " in text and "the " in text
    # A natural text: many distinct characters, spaces the most common.
    assert len(set(text)) > 60
    assert max(set(text), key=text.count) == " "


def test_corpus_max_chars():
    assert load_text_corpus(max_chars=1000) == load_text_corpus()[:1000]
    assert load_text_corpus(max_chars=0) == ""
    with pytest.raises(ValueError, match="load_text_corpus"):
        load_text_corpus(max_chars=-1)
