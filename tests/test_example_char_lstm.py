"""A short run of examples/char_lstm.py on the real offline text."""
import glia
from helpers import import_example

char_lstm = import_example("char_lstm")


def test_char_lstm_beats_the_unigram_entropy():
    lines = []
    # one thread: ~120 tiny steps, where waking a second thread on a busy machine costs more
    # than it gives
    threads = glia.get_num_threads()
    glia.set_num_threads(1)
    try:
        losses, held_out, entropy = char_lstm.train(epochs=2, max_chars=30000, hidden=64,
                                                    batch_size=16, bptt=32, sample_length=40,
                                                    out=lines.append)
    finally:
        glia.set_num_threads(threads)
    assert 3.5 < entropy < 5.5  # Python source: about 4.4 bits per character
    assert losses[-1] < losses[0]
    assert losses[-1] < entropy and held_out < entropy  # it uses context
    assert lines[-1].startswith("sample:\ndef ") and len(lines[-1]) == len("sample:\ndef ") + 40
