"""glia.nn.utils.receptive_field: hand-computed receptive field, jump and start for small
conv/pool stacks (LeNet-like, a ResNet stem, dilation, 1-D/3-D, padding layers, separable
convs, adaptive/global pooling, Flatten), an empirical check against the input gradient of
one output unit, output shapes from the forward pass, and errors."""
import numpy as np
import pytest

import glia
from glia import nn
from glia.nn.utils import receptive_field
from helpers import check_raises


def fields(records):
    return [(r.name, r.receptive_field, r.jump, r.start) for r in records]


def test_lenet_like_stack():
    model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Conv2d(6, 6, 3), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 3))
    records = receptive_field(model, (1, 16, 16))
    assert [r.layer for r in records] == ["Conv2d", "ReLU", "Conv2d", "MaxPool2d", "Conv2d"]
    assert [r.output_shape for r in records] == [(6, 14, 14), (6, 14, 14), (6, 12, 12),
                                                 (6, 6, 6), (16, 4, 4)]
    assert [r.receptive_field for r in records] == [(3, 3), (3, 3), (5, 5), (6, 6), (10, 10)]
    assert [r.jump for r in records] == [(1, 1), (1, 1), (1, 1), (2, 2), (2, 2)]
    # start: centre of the first unit's field, input pixel i centred at i
    assert [r.start for r in records] == [(1, 1), (1, 1), (2, 2), (2.5, 2.5), (4.5, 4.5)]


def test_resnet_stem():
    model = nn.Sequential(nn.Conv2d(3, 8, 7, stride=2, padding=3), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(3, stride=2, padding=1))
    records = receptive_field(model, (3, 32, 32))
    assert fields(records)[-1] == ("3", (11, 11), (4, 4), (0, 0))
    assert records[0].receptive_field == (7, 7) and records[0].jump == (2, 2)
    assert records[-1].output_shape == (8, 8, 8)


def test_nested_sequential_dilation_and_names():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2, padding=2), nn.Tanh()),
                          nn.Sequential(nn.Dropout(0.5), nn.Conv2d(2, 2, 3, dilation=4,
                                                                   padding=4)))
    assert fields(receptive_field(model, (1, 12, 12))) == [
        ("0.0", (5, 5), (1, 1), (0, 0)), ("0.1", (5, 5), (1, 1), (0, 0)),
        ("1.0", (5, 5), (1, 1), (0, 0)), ("1.1", (13, 13), (1, 1), (0, 0))]


def test_one_dim_with_same_padding_and_avg_pool():
    model = nn.Sequential(nn.Conv1d(1, 2, 5, stride=2), nn.AvgPool1d(2),
                          nn.Conv1d(2, 2, 3, padding="same"))
    assert fields(receptive_field(model, (1, 20))) == [
        ("0", (5,), (2,), (2,)), ("1", (7,), (4,), (3,)), ("2", (15,), (4,), (3,))]


def test_per_dim_geometry_and_padding_layer():
    model = nn.Sequential(nn.ZeroPad2d((1, 0, 2, 0)), nn.Conv2d(1, 1, (3, 1), stride=(1, 2)))
    assert fields(receptive_field(model, (1, 6, 7))) == [
        ("0", (1, 1), (1, 1), (-2, -1)), ("1", (3, 1), (1, 2), (-1, -1))]


def test_separable_conv_then_global_pool_then_linear():
    model = nn.Sequential(nn.SeparableConv2d(2, 4, 3, stride=2), nn.GlobalAvgPool2d(),
                          nn.Linear(4, 3))
    records = receptive_field(model, (2, 9, 9))
    # after global pooling a unit sees the whole 9 x 9 input, centred on pixel 4
    assert fields(records) == [("0", (3, 3), (2, 2), (1, 1)), ("1", (9, 9), (8, 8), (4, 4)),
                               ("2", (9, 9), (8, 8), (4, 4))]
    assert records[-1].output_shape == (3,)


def test_flatten_sees_the_whole_map():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 2))
    records = receptive_field(model, (1, 8, 8))
    assert records[1].receptive_field == (4, 4) and records[1].output_shape == (2, 3, 3)
    assert records[2].receptive_field == (8, 8) and records[3].receptive_field == (8, 8)


def test_adaptive_pooling():
    model = nn.Sequential(nn.AdaptiveAvgPool2d((2, 4)))
    (record,) = receptive_field(model, (1, 6, 6))
    # 6 -> 2: windows of 3 with stride 3; 6 -> 4: windows [0,2) [1,3) [3,5) [4,6)
    assert record.receptive_field == (3, 2)
    assert record.jump == (3, 1.5)
    assert record.start == (1, 0.5)


def test_three_dims():
    model = nn.Sequential(nn.Conv3d(1, 1, 3), nn.MaxPool3d(2))
    assert fields(receptive_field(model, (1, 6, 6, 6))) == [
        ("0", (3, 3, 3), (1, 1, 1), (1, 1, 1)), ("1", (4, 4, 4), (2, 2, 2), (1.5, 1.5, 1.5))]


def test_matches_the_input_gradient_of_one_unit():
    """The nonzero input gradient of an interior output unit spans exactly its receptive
    field, centred at start + index * jump (all-positive weights: nothing cancels)."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.AvgPool2d(2),
                          nn.Conv2d(2, 1, 3, dilation=2, padding=1)).double()
    for p in model.parameters():
        nn.init.constant_(p, 1.0)
    last = receptive_field(model, (1, 40, 40))[-1]
    assert last.receptive_field == (21, 21) and last.jump == (4, 4) and last.start == (5, 5)
    x = glia.ones(1, 1, 40, 40, dtype=glia.float64, requires_grad=True)
    model(x)[0, 0, 3, 2].backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    half = (last.receptive_field[0] - 1) // 2
    centre = (last.start[0] + 3 * last.jump[0], last.start[1] + 2 * last.jump[1])
    assert (rows.min(), rows.max()) == (centre[0] - half, centre[0] + half)
    assert (cols.min(), cols.max()) == (centre[1] - half, centre[1] + half)


def test_keeps_training_mode_and_dtype():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5)).double()
    model.train()
    receptive_field(model, (1, 5, 5))
    assert all(m.training for m in model.modules())
    model.eval()
    receptive_field(model, (1, 5, 5))
    assert not any(m.training for m in model.modules())


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class _Crop(nn.Module):
    def forward(self, x):
        return x[..., 1:, 1:]


@pytest.mark.parametrize("layer,fragments", [
    (nn.ConvTranspose2d(2, 2, 2, stride=2), ("'1'", "ConvTranspose2d", "upsamples")),
    (nn.Upsample(scale_factor=2), ("Upsample", "upsamples")),
    (_Residual(), ("_Residual", "nn.Sequential")),
    (_Crop(), ("_Crop", "changes the spatial size", "(6, 6)", "(5, 5)")),
])
def test_errors(layer, fragments):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), layer)
    check_raises(lambda: receptive_field(model, (1, 6, 6)), ValueError, "receptive_field",
                 *fragments)


def test_input_size_errors():
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    check_raises(lambda: receptive_field(model, (16,)), ValueError, "receptive_field",
                 "input_size")
    check_raises(lambda: receptive_field(model, (1, 2, 2)), ValueError, "conv2d")
