"""A short run of examples/tiny_gpt.py on the real text: the causal model's loss falls well
below the uniform guess and generation with the KV cache continues the prompt."""
import math

from helpers import import_example

tiny_gpt = import_example("tiny_gpt")


def test_tiny_gpt_learns_and_samples():
    lines = []
    train_losses, val_losses, sample = tiny_gpt.train(epochs=2, steps_per_epoch=30,
                                                      sample_length=40, out=lines.append)
    vocab = int(lines[0].split("vocabulary ")[1].split(",")[0])
    assert val_losses[-1] < math.log(vocab) - 1.5  # uniform guessing is log(161) = 5.08
    assert train_losses[-1] < train_losses[0]
    assert sample.startswith("def ") and len(sample) == 44
    assert lines[-1].startswith("sample:")
