"""Perceptron: forward against a numpy step(x w^T + b), zero gradient, the perceptron rule
converging on AND and on separated Gaussian blobs (100% training accuracy, converged=True),
warning and converged=False on XOR, label and shape checks. RBF: values against the numpy
formula, gradients against torch autograd of the same formula, float64 gradient checks."""
import warnings

import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import check_raises, gradcheck, noncontiguous, randn, to_glia

AND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


def _accuracy(model, x, y01):
    pred = model(to_glia(x)).detach().numpy().reshape(-1)
    return (pred == y01).mean()


def _perceptron_rule(x, t, w, b, epochs, lr=1.0):
    """numpy reference: per sample in order, w += lr (t - step(x w^T + b)) x, same for b."""
    w, b = w.reshape(-1).astype(np.float64), b.astype(np.float64)
    for _ in range(epochs):
        for xi, ti in zip(x.astype(np.float64), t):
            err = ti - float(xi @ w + b[0] >= 0)
            w, b = w + lr * err * xi, b + lr * err
    return w.reshape(1, -1), b


def test_forward_is_step_of_affine_map():
    p = nn.Perceptron(5)
    assert p.weight.shape == (1, 5) and p.bias.shape == (1,)
    assert list(p.state_dict()) == ["weight", "bias"]
    w, b = p.weight.detach().numpy().copy(), p.bias.detach().numpy().copy()
    for x in (randn(7, 5, dtype=np.float32), randn(1, 5, dtype=np.float32),
              noncontiguous(randn(3, 5, dtype=np.float32))):
        out = p(glia.from_numpy(x)).detach().numpy()
        assert out.shape == (x.shape[0], 1)
        np.testing.assert_array_equal(out, (x @ w.T + b >= 0).astype(np.float32))
        # forward must leave the parameters alone (also with a batch of 1)
        np.testing.assert_array_equal(p.weight.detach().numpy(), w)
        np.testing.assert_array_equal(p.bias.detach().numpy(), b)
    # the step's gradient is zero: backpropagation cannot train a perceptron
    p(to_glia(randn(4, 5, dtype=np.float32))).sum().backward()
    np.testing.assert_array_equal(p.weight.grad.numpy(), 0.0)
    np.testing.assert_array_equal(p.bias.grad.numpy(), 0.0)


@pytest.mark.parametrize("labels", [[0, 0, 0, 1], [-1, -1, -1, 1]])
def test_fit_learns_and(labels):
    p = nn.Perceptron(2)
    epochs = p.fit(AND_X, labels)
    assert p.converged is True
    assert 1 <= epochs < 100
    assert _accuracy(p, AND_X, np.array([0, 0, 0, 1])) == 1.0
    # a second fit starts converged: one clean epoch
    assert p.fit(to_glia(AND_X), glia.tensor(labels)) == 1 and p.converged


def test_fit_separates_gaussian_blobs():
    rng = np.random.default_rng(3)
    n = 100
    x = np.concatenate([rng.normal([2.0, 2.0, 0.0], 0.6, (n, 3)),
                        rng.normal([-2.0, -2.0, 1.0], 0.6, (n, 3))]).astype(np.float32)
    y = np.concatenate([np.ones(n), np.zeros(n)])
    order = rng.permutation(2 * n)
    x, y = x[order], y[order]
    p = nn.Perceptron(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # convergence must not warn
        epochs = p.fit(x, y.reshape(-1, 1), epochs=50, lr=0.5)
    assert p.converged and epochs <= 50
    assert _accuracy(p, x, y) == 1.0


def test_fit_warns_on_xor():
    glia.manual_seed(0)  # some initial weights come back to themselves after 30 epochs
    p = nn.Perceptron(2)
    w0, b0 = p.weight.detach().numpy().copy(), p.bias.detach().numpy().copy()
    with pytest.warns(UserWarning, match="may not be linearly separable"):
        epochs = p.fit(AND_X, [0, 1, 1, 0], epochs=30)
    assert epochs == 30 and p.converged is False
    # fit must have run the perceptron rule: the weights moved, exactly as the rule says
    w, b = p.weight.detach().numpy(), p.bias.detach().numpy()
    assert not (np.array_equal(w, w0) and np.array_equal(b, b0))
    rw, rb = _perceptron_rule(AND_X, np.array([0, 1, 1, 0], np.float32), w0, b0, 30)
    np.testing.assert_allclose(w, rw, rtol=0, atol=1e-5)
    np.testing.assert_allclose(b, rb, rtol=0, atol=1e-5)
    assert _accuracy(p, AND_X, np.array([0, 1, 1, 0])) < 1.0  # no line separates XOR


def test_fit_checks_arguments():
    p = nn.Perceptron(2)
    check_raises(lambda: p.fit(AND_X, [0, 1, 2, 1]), ValueError, "Perceptron.fit", "labels")
    check_raises(lambda: p.fit(AND_X, [-1, 0, 1, 1]), ValueError, "labels")
    check_raises(lambda: p.fit(AND_X, [0, 1, 1]), ValueError, "Perceptron.fit", "(3,)")
    check_raises(lambda: p.fit(np.zeros((4, 3)), [0, 1, 1, 0]), ValueError, "(4, 3)")
    check_raises(lambda: p.fit(AND_X, [0, 1, 1, 0], epochs=0), ValueError, "epochs")
    check_raises(lambda: nn.Perceptron(0), ValueError, "Perceptron")


def _rbf_numpy(x, c, log_sigmas):
    d2 = ((x[..., None, :] - c) ** 2).sum(-1)
    return np.exp(-d2 / (2 * np.exp(log_sigmas) ** 2))


def _rbf64(in_features, k):
    m = nn.RBF(in_features, randn(k, in_features))
    with glia.no_grad():
        m.log_sigmas.copy_(to_glia(randn(k) * 0.3))
    return m


@pytest.mark.parametrize("shape", [(6, 3), (1, 3), (3,), (2, 4, 3)], ids=str)
def test_rbf_values_match_numpy(shape):
    m = _rbf64(3, 5)
    assert m.centers.dtype == glia.float64 and m.centers.shape == (5, 3)
    x = randn(*shape)
    c, ls = m.centers.detach().numpy(), m.log_sigmas.detach().numpy()
    for xi in (x, noncontiguous(x)):
        out = m(glia.from_numpy(xi)).detach().numpy()
        assert out.shape == shape[:-1] + (5,)
        np.testing.assert_allclose(out, _rbf_numpy(xi, c, ls), rtol=1e-10, atol=1e-14)
    # a point on a center gives exactly 1 there
    on = m(to_glia(c[:1])).detach().numpy()
    assert on[0, 0] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(m.sigmas.detach().numpy(), np.exp(ls))


def test_rbf_gradients_match_torch():
    m = _rbf64(4, 3)
    x = randn(5, 4)
    gx = to_glia(x, requires_grad=True)
    cot = randn(5, 3)
    (m(gx) * to_glia(cot)).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tc = torch.tensor(m.centers.detach().numpy(), requires_grad=True)
    tl = torch.tensor(m.log_sigmas.detach().numpy(), requires_grad=True)
    d2 = ((tx[:, None, :] - tc) ** 2).sum(-1)
    (torch.exp(-d2 / (2 * torch.exp(tl) ** 2)) * torch.tensor(cot)).sum().backward()
    for g, t in ((gx.grad, tx.grad), (m.centers.grad, tc.grad), (m.log_sigmas.grad, tl.grad)):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-9, atol=1e-12)


def test_rbf_gradcheck():
    c, ls = randn(3, 2), randn(3) * 0.3

    def rbf(x, centers, log_sigmas):
        # the layer's forward on explicit tensors, so all three inputs get checked
        m = nn.RBF(2, 3)
        m._parameters["centers"], m._parameters["log_sigmas"] = centers, log_sigmas
        return m(x)

    gradcheck(rbf, randn(4, 2), c, ls)
    m = _rbf64(2, 3)
    gradcheck(m, randn(2, 2))


def test_rbf_init_and_errors():
    glia.manual_seed(0)
    m = nn.RBF(50, 200)
    c = m.centers.detach().numpy()
    assert c.shape == (200, 50) and c.dtype == np.float32
    assert abs(c.mean()) < 0.05 and abs(c.std() - 1.0) < 0.05  # N(0, 1), 1e4 draws
    np.testing.assert_array_equal(m.log_sigmas.detach().numpy(), np.zeros(200))
    assert [n for n, _ in m.named_parameters()] == ["centers", "log_sigmas"]
    given = randn(2, 3)
    m = nn.RBF(3, given)
    given[0, 0] = 99.0  # the layer copied its initial centers
    assert m.centers.detach().numpy()[0, 0] != 99.0
    assert repr(m) == "RBF(in_features=3, centers=2)"
    check_raises(lambda: nn.RBF(3, randn(2, 4)), ValueError, "RBF", "(2, 4)")
    check_raises(lambda: nn.RBF(3, 0), ValueError, "RBF")
    check_raises(lambda: m(glia.randn(2, 4, dtype=glia.float64)), ValueError, "RBF", "(2, 4)")
