"""A short run of examples/tiny_bert.py on the real text: masked-character accuracy on
held-out windows beats always guessing the most frequent character."""
from helpers import import_example

tiny_bert = import_example("tiny_bert")


def test_tiny_bert_beats_unigram_baseline():
    lines = []
    acc, baseline, losses = tiny_bert.train(epochs=3, steps_per_epoch=40, out=lines.append)
    assert acc > baseline + 0.03
    assert losses[-1] < losses[0]
    assert "unigram baseline" in lines[-1]
