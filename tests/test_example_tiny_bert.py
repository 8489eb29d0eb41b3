"""A short run of examples/tiny_bert.py on the real text: masked-character accuracy on
held-out windows beats always guessing the most frequent character."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))

import tiny_bert  # noqa: E402


def test_tiny_bert_beats_unigram_baseline():
    lines = []
    acc, baseline, losses = tiny_bert.train(epochs=3, steps_per_epoch=40, out=lines.append)
    assert acc > baseline + 0.03
    assert losses[-1] < losses[0]
    assert "unigram baseline" in lines[-1]
