"""Tensor creation, dtypes, conversion, memory sharing with NumPy and DLPack, repr."""
import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_raises


@pytest.mark.parametrize("data,dtype", [
    ([1.0, 2.5], glia.float32), ([1, 2], glia.int64), ([True, False], glia.bool),
    ([[1, 2.0], [3, 4]], glia.float32), (3.5, glia.float32), (7, glia.int64), (True, glia.bool),
    ([], glia.float32),
])
def test_tensor_from_python_infers_dtype(data, dtype):
    t = glia.tensor(data)
    assert t.dtype == dtype
    expected = torch.tensor(data)
    assert t.shape == tuple(expected.shape)
    np.testing.assert_array_equal(t.numpy(), expected.numpy())


@pytest.mark.parametrize("np_dtype,dtype", [
    (np.float32, glia.float32), (np.float64, glia.float64), (np.int64, glia.int64),
    (np.bool_, glia.bool), (np.int32, glia.int64), (np.uint8, glia.int64),
])
def test_tensor_from_numpy_keeps_or_widens_dtype(np_dtype, dtype):
    a = (np.arange(6).reshape(2, 3) % 2).astype(np_dtype)
    t = glia.tensor(a)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), a.astype(t.numpy().dtype))
    a.flat[0] = 1  # glia.tensor copies
    assert t.numpy().flat[0] == 0


def test_python_floats_keep_full_precision_when_float64_is_asked():
    # not rounded through float32 on the way, as torch
    for data in (0.3, [0.3, 1e-300], [[0.1, 2], [3, 1 / 3]]):
        t = glia.tensor(data, dtype=glia.float64)
        assert t.dtype == glia.float64
        np.testing.assert_array_equal(t.numpy(), torch.tensor(data, dtype=torch.float64).numpy())
    assert glia.tensor(0.3).dtype == glia.float32 and glia.tensor(0.3).item() == np.float32(0.3)


def test_tensor_errors():
    check_raises(lambda: glia.tensor([[1, 2], [3]]), ValueError, "ragged")
    check_raises(lambda: glia.tensor(["a"]), TypeError, "tensor")
    check_raises(lambda: glia.tensor(np.array([1 + 2j])), TypeError, "complex")


def test_dtype_argument_and_conversion():
    t = glia.tensor([1, 2, 3], dtype=glia.float64)
    assert t.dtype == glia.float64
    assert t.float().dtype == glia.float32 and t.long().dtype == glia.int64
    assert t.to(glia.bool).dtype == glia.bool
    assert glia.tensor([1.7, -1.7]).long().tolist() == [1, -1]  # truncation, as torch
    assert repr(glia.float32) == "glia.float32"


def test_numpy_shares_memory_both_ways():
    a = np.zeros((2, 3), dtype=np.float32)
    t = glia.from_numpy(a)
    a[0, 1] = 5
    assert t.numpy()[0, 1] == 5
    n = t.numpy()
    with glia.no_grad():
        t.add_(glia.ones(2, 3))
    assert n[0, 1] == 6 and a[1, 2] == 1
    # non-contiguous arrays keep their strides
    b = np.arange(12.0).reshape(3, 4).T
    tb = glia.from_numpy(b)
    assert tb.stride() == (1, 4) and not tb.is_contiguous()
    np.testing.assert_array_equal(tb.numpy(), b)


def test_numpy_of_tensor_requiring_grad_raises():
    t = glia.ones(2, requires_grad=True)
    check_raises(lambda: t.numpy(), RuntimeError, "detach")
    np.testing.assert_array_equal(t.detach().numpy(), [1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_dlpack_with_numpy_and_torch_is_zero_copy(dtype):
    a = (np.arange(6).reshape(2, 3) % 3).astype(dtype)
    t = glia.from_dlpack(a)
    assert t.numpy().ctypes.data == a.ctypes.data
    back = np.from_dlpack(t)
    assert back.ctypes.data == a.ctypes.data
    np.testing.assert_array_equal(back, a)
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == a.ctypes.data
    g = glia.from_dlpack(tt)
    assert g.data_ptr() == a.ctypes.data
    np.testing.assert_array_equal(g.numpy(), a)


def test_dlpack_keeps_memory_alive():
    t = glia.arange(5).float()
    n = np.from_dlpack(t)
    del t
    np.testing.assert_array_equal(n, [0, 1, 2, 3, 4])
    tt = torch.arange(4.0)
    g = glia.from_dlpack(tt)
    del tt
    np.testing.assert_array_equal(g.numpy(), [0, 1, 2, 3])


def test_creation_functions_match_torch():
    assert_close(glia.zeros(2, 3), torch.zeros(2, 3))
    assert_close(glia.ones((2, 3), dtype=glia.float64), torch.ones(2, 3, dtype=torch.float64))
    assert_close(glia.full((2, 2), 7), torch.full((2, 2), 7))
    assert_close(glia.full((2,), 1.5), torch.full((2,), 1.5))
    assert_close(glia.arange(5), torch.arange(5))
    assert_close(glia.arange(1, 2, 0.25), torch.arange(1, 2, 0.25))
    assert_close(glia.arange(5, 0, -2), torch.arange(5, 0, -2))
    assert_close(glia.arange(0, 1, 0.1), torch.arange(0, 1, 0.1))
    assert_close(glia.linspace(-1, 1, 7), torch.linspace(-1, 1, 7))
    assert_close(glia.linspace(0, 1, 1), torch.linspace(0, 1, 1))
    assert_close(glia.eye(3), torch.eye(3))
    assert_close(glia.eye(2, 4, dtype=glia.int64), torch.eye(2, 4, dtype=torch.int64))
    x = glia.randn(2, 3)
    assert_close(glia.zeros_like(x), torch.zeros(2, 3))
    assert_close(glia.ones_like(x, dtype=glia.int64), torch.ones(2, 3, dtype=torch.int64))
    assert_close(glia.full_like(x, 2.0), torch.full((2, 3), 2.0))
    assert glia.empty(0, 4).shape == (0, 4)
    check_raises(lambda: glia.zeros(2, -1), ValueError, "negative")
    check_raises(lambda: glia.arange(0, 1, 0), ValueError, "step")


def test_randn_values_do_not_depend_on_the_threads(restore_threads):
    # large tensors are drawn in blocks on the threads, each block from an engine seeded from
    # the global one in block order
    draws = {}
    for threads in (1, 2, 3):
        glia.set_num_threads(threads)
        glia.manual_seed(7)
        draws[threads] = (glia.randn(200001).numpy(), glia.randn(5, dtype=glia.float64).numpy())
    for threads in (2, 3):
        np.testing.assert_array_equal(draws[threads][0], draws[1][0])
        np.testing.assert_array_equal(draws[threads][1], draws[1][1])
    assert abs(draws[1][0].mean()) < 0.01 and abs(draws[1][0].std() - 1) < 0.01


def test_randn_is_box_muller_on_the_generators_uniforms():
    # a small tensor: m = 3 uniforms u, then 3 uniforms v; each pair gives r cos and r sin
    glia.manual_seed(11)
    u = glia.rand(6, dtype=glia.float64).numpy()  # the same generator's first uniforms
    glia.manual_seed(11)
    z = glia.randn(5, dtype=glia.float64).numpy()
    r, angle = np.sqrt(-2 * np.log1p(-u[:3])), 2 * np.pi * u[3:]
    expected = np.stack([r * np.cos(angle), r * np.sin(angle)], 1).reshape(-1)[:5]
    np.testing.assert_allclose(z, expected, rtol=1e-12)
    glia.manual_seed(11)
    np.testing.assert_allclose(glia.randn(5).numpy(), expected, rtol=1e-6, atol=1e-7)


def test_random_is_seeded_and_distributed():
    glia.manual_seed(42)
    a = glia.randn(1000)
    glia.manual_seed(42)
    b = glia.randn(1000)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    big = glia.randn(200000).numpy()
    assert abs(big.mean()) < 0.01 and abs(big.std() - 1) < 0.01
    u = glia.rand(100000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    n = glia.normal(3.0, 2.0, (100000,)).numpy()
    assert abs(n.mean() - 3) < 0.03 and abs(n.std() - 2) < 0.03
    r = glia.randint(-3, 4, (10000,)).numpy()
    assert r.min() == -3 and r.max() == 3 and r.dtype == np.int64
    p = glia.bernoulli(glia.full((100000,), 0.3)).numpy()
    assert set(np.unique(p)) == {0.0, 1.0} and abs(p.mean() - 0.3) < 0.01
    perm = glia.randperm(50).numpy()
    assert sorted(perm.tolist()) == list(range(50))
    check_raises(lambda: glia.bernoulli(glia.tensor([1.5])), ValueError, "1.5")


def test_item_tolist_len_iter_bool():
    t = glia.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert glia.tensor(3).item() == 3 and isinstance(glia.tensor(3).item(), int)
    assert glia.tensor(2.5).item() == 2.5 and float(glia.tensor([2.5])) == 2.5
    assert len(t) == 2 and [r.tolist() for r in t] == [[1.5, 2.0], [3.0, 4.0]]
    assert bool(glia.tensor([1.0])) and not bool(glia.tensor(0))
    check_raises(lambda: bool(t), RuntimeError, "ambiguous")
    check_raises(lambda: t.item(), ValueError, "one element", "(2, 2)")
    assert 2.0 in t and 7.0 not in t


def test_repr_reads_like_torch():
    assert repr(glia.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(glia.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(glia.tensor([1.5], dtype=glia.float64)) == "tensor([1.5000], dtype=glia.float64)"
    assert repr(glia.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(glia.tensor([1.0], requires_grad=True) * 2)
    assert repr(glia.zeros(0, 3)) == "tensor([], size=(0, 3))"


def test_threads_setting_round_trips():
    n = glia.get_num_threads()
    glia.set_num_threads(1)
    assert glia.get_num_threads() == 1
    a, b = glia.randn(300, 300), glia.randn(300, 300)
    one = (a @ b).numpy()
    glia.set_num_threads(n)
    np.testing.assert_allclose((a @ b).numpy(), one, rtol=1e-5, atol=1e-4)


def test_caching_allocator_reuses_and_releases():
    glia.empty_cache()
    assert glia._C.cached_bytes() == 0
    x = glia.empty(1 << 18)  # 1 MiB
    ptr = x.data_ptr()
    del x
    assert glia._C.cached_bytes() >= 1 << 20
    y = glia.empty(1 << 18)
    assert y.data_ptr() == ptr  # the freed block is handed out again
    del y
    glia.empty_cache()
    assert glia._C.cached_bytes() == 0


def test_storage_is_64_byte_aligned():
    for n in (1, 3, 17, 1000, 1 << 20):
        assert glia.empty(n).data_ptr() % 64 == 0


def test_cuda_reports_unavailable_on_cpu_build():
    assert glia.cuda.is_available() is False
