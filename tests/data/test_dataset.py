import collections

import numpy as np

import glia
from glia.data import Dataset, Subset, TensorDataset, default_collate
from helpers import check_raises


def test_tensor_dataset_samples_and_len():
    x = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    y = np.arange(6)
    ds = TensorDataset(glia.tensor(x), y)  # numpy arrays are accepted too
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), x[4])
    assert yi.item() == 4 and yi.dtype == glia.int64
    np.testing.assert_array_equal(ds[-1][0].numpy(), x[5])


def test_tensor_dataset_transform_applies_to_first_tensor_only():
    x, y = np.ones((3, 2), np.float32), np.arange(3.0, dtype=np.float32)
    ds = TensorDataset(x, y, transform=lambda t: t * 10)
    xi, yi = ds[1]
    np.testing.assert_array_equal(xi.numpy(), [10, 10])
    assert yi.item() == 1.0
    xb, yb = ds.get_batch([2, 0])
    np.testing.assert_array_equal(xb.numpy(), np.full((2, 2), 10))
    np.testing.assert_array_equal(yb.numpy(), [2, 0])


def test_get_batch_equals_collated_samples():
    x = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    ds = TensorDataset(x, np.arange(7))
    idx = [5, 1, 1, 6]
    fast = ds.get_batch(idx)
    slow = default_collate([ds[i] for i in idx])
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.dtype == b.dtype and a.shape == b.shape


def test_get_batch_with_a_transform_equals_collated_samples():
    x = np.random.default_rng(1).standard_normal((6, 2, 3)).astype(np.float32)
    transforms = [
        glia.data.transforms.RandomHorizontalFlip(p=0.5),  # random: the same seed both ways
        lambda t: t.numpy()[::-1] * 2,  # returns a (negatively strided) numpy array
        lambda t: t.numpy().astype(np.int32),  # numpy that default_collate widens to int64
    ]
    for transform in transforms:
        ds = TensorDataset(x, np.arange(6), transform=transform)
        idx = [4, 0, 0, 5, 2]
        glia.manual_seed(7)
        fast = ds.get_batch(idx)
        glia.manual_seed(7)
        slow = default_collate([ds[i] for i in idx])
        assert len(fast) == len(slow) == 2
        for a, b in zip(fast, slow):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(fast[0].numpy(), x[idx].astype(np.int64))


def test_tensor_dataset_errors():
    check_raises(lambda: TensorDataset(np.zeros((3, 2)), np.zeros(4)), ValueError,
                 "TensorDataset", "(3, 2)", "(4,)")
    check_raises(lambda: TensorDataset(), ValueError, "TensorDataset")
    ds = TensorDataset(np.zeros(3))
    check_raises(lambda: ds[3], IndexError, "TensorDataset", "3")
    check_raises(lambda: ds["a"], TypeError, "TensorDataset")
    check_raises(lambda: ds.get_batch([0, 9]), IndexError, "TensorDataset", "9")


def test_subset_maps_indices():
    ds = TensorDataset(np.arange(10) * 3)
    sub = Subset(ds, [7, 2, 9])
    assert len(sub) == 3
    assert [sub[i][0].item() for i in range(3)] == [21, 6, 27]
    np.testing.assert_array_equal(sub.get_batch([2, 0])[0].numpy(), [27, 21])
    check_raises(lambda: Subset(ds, [10]), IndexError, "Subset", "10")


class Recorder(TensorDataset):
    def get_batch(self, indices):
        self.got = indices
        return super().get_batch(indices)


def test_subset_keeps_an_index_array_and_passes_it_to_the_parent():
    parent = Recorder(np.arange(10) * 3)
    sub = Subset(Subset(parent, glia.tensor([9, -1, 4, 0])), np.array([3, -2]))
    assert sub.indices.dtype == np.int64 and sub.indices.tolist() == [3, 2]
    assert sub.dataset.indices.tolist() == [9, 9, 4, 0]
    np.testing.assert_array_equal(sub.get_batch([1, 0, 1])[0].numpy(), [12, 0, 12])
    assert isinstance(parent.got, np.ndarray) and parent.got.tolist() == [4, 0, 4]


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": i * i}


def test_subset_of_plain_dataset_collates_samples():
    batch = Subset(Squares(), [4, 1]).get_batch([0, 1])
    np.testing.assert_array_equal(batch["x"].numpy(), [[4, 4], [1, 1]])
    np.testing.assert_array_equal(batch["y"].numpy(), [16, 1])


def test_default_collate_matches_torch():
    import torch
    from torch.utils.data import default_collate as torch_collate
    Point = collections.namedtuple("Point", "a b")
    rng = np.random.default_rng(0)
    samples = [(rng.standard_normal((2, 3)).astype(np.float32), i, float(i) / 2, i % 2 == 0,
                {"k": np.int64(i), "name": f"s{i}"}, Point(i, [i, i + 1]))
               for i in range(4)]

    def compare(g, t):
        if isinstance(t, torch.Tensor):
            assert isinstance(g, glia.Tensor)
            assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1]
            np.testing.assert_array_equal(g.numpy(), t.numpy())
        elif isinstance(t, dict):
            assert g.keys() == t.keys()
            for k in t:
                compare(g[k], t[k])
        elif isinstance(t, (list, tuple)):
            assert type(g) is type(t) and len(g) == len(t)
            for a, b in zip(g, t):
                compare(a, b)
        else:
            assert g == t

    compare(default_collate(samples), torch_collate(samples))
    # glia tensors are stacked along a new first dimension
    gs = [glia.tensor(s[0]) for s in samples]
    np.testing.assert_array_equal(default_collate(gs).numpy(), np.stack([s[0] for s in samples]))


def test_default_collate_errors():
    check_raises(lambda: default_collate([np.zeros(2), np.zeros(3)]), ValueError,
                 "default_collate", "(2,)", "(3,)")
    check_raises(lambda: default_collate([glia.zeros(2), glia.zeros(3)]), ValueError,
                 "default_collate")
    check_raises(lambda: default_collate([object()]), TypeError, "default_collate", "object")
    check_raises(lambda: default_collate([]), ValueError, "default_collate")
