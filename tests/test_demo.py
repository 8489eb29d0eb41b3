"""The README's main job: the demo MLP learns the two-spirals problem."""
from glia.demo import run


def test_demo_loss_falls_and_fits():
    lines = []
    losses, accuracy = run(steps=1000, log_every=200, out=lines.append)
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy > 0.9
    assert any("step" in line for line in lines)
