import numpy as np

import glia
from glia.data import MinMax, Standardizer, class_weights, normalize, one_hot, standardize
from helpers import check_raises

import sklearn.preprocessing as preprocessing

RNG = np.random.default_rng(2)


def _data():
    train = RNG.normal(3, 2, (50, 4))
    train[:, 2] = 5.0  # a constant feature
    return train, RNG.normal(3, 2, (10, 4))


def test_standardizer_matches_sklearn():
    train, test = _data()
    ref = preprocessing.StandardScaler().fit(train)
    ours = Standardizer().fit(train)
    np.testing.assert_allclose(ours.transform(test), ref.transform(test), rtol=1e-12)
    np.testing.assert_allclose(ours.fit_transform(train), ref.transform(train), atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(test)), test, rtol=1e-12)
    assert np.all(np.isfinite(ours.transform(test)))
    # glia tensors in, glia tensors out, keeping float32
    out = Standardizer().fit(glia.tensor(train.astype(np.float32))).transform(
        glia.tensor(test.astype(np.float32)))
    assert isinstance(out, glia.Tensor) and out.dtype == glia.float32
    np.testing.assert_allclose(out.numpy(), ref.transform(test), rtol=1e-4, atol=1e-5)


def test_minmax_matches_sklearn():
    train, test = _data()
    for feature_range in ((0, 1), (-1, 2)):
        ref = preprocessing.MinMaxScaler(feature_range=feature_range).fit(train)
        ours = MinMax(feature_range).fit(train)
        np.testing.assert_allclose(ours.transform(test), ref.transform(test), rtol=1e-12)
        np.testing.assert_allclose(ours.inverse_transform(ours.transform(test)), test,
                                   rtol=1e-12)
    out = MinMax().fit_transform(train)
    assert out.min() == 0 and out.max() == 1


def test_functions_fit_on_train_only():
    train, test = _data()
    tr, te = standardize(train, test)
    ref = preprocessing.StandardScaler().fit(train)
    np.testing.assert_allclose(te, ref.transform(test), rtol=1e-12)
    np.testing.assert_allclose(standardize(train), tr)
    tr, te = normalize(train, test, feature_range=(0, 1))
    np.testing.assert_allclose(te, preprocessing.MinMaxScaler().fit(train).transform(test),
                               rtol=1e-12)


def test_scalers_work_on_images_per_pixel():
    x = RNG.random((6, 1, 3, 3)).astype(np.float32)
    out = Standardizer().fit_transform(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-6)


def test_one_hot():
    labels = np.array([[2, 0], [1, 2]])
    out = one_hot(glia.tensor(labels))
    assert out.shape == (2, 2, 3) and out.dtype == glia.float32
    np.testing.assert_array_equal(out.numpy(), np.eye(3)[labels])
    assert one_hot([1], num_classes=4, dtype=glia.int64).numpy().tolist() == [[0, 1, 0, 0]]
    assert one_hot(np.zeros(0, np.int64), 3).shape == (0, 3)
    F = glia.nn.functional
    np.testing.assert_array_equal(one_hot(labels, 4, dtype=glia.int64).numpy(),
                                  F.one_hot(glia.tensor(labels), 4).numpy())


def test_class_weights_match_sklearn_balanced():
    import sklearn.utils.class_weight as cw
    labels = np.repeat([0, 1, 2, 3], [5, 50, 20, 1])
    ref = cw.compute_class_weight("balanced", classes=np.arange(4), y=labels)
    ours = class_weights(glia.tensor(labels))
    assert ours.dtype == glia.float32
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-6)
    # absent classes weigh 0; the present ones as sklearn over the present classes
    sparse = np.array([0, 0, 0, 3])
    ref = cw.compute_class_weight("balanced", classes=np.array([0, 3]), y=sparse)
    np.testing.assert_allclose(class_weights(sparse, num_classes=5).numpy(),
                               [ref[0], 0, 0, ref[1], 0], rtol=1e-6)


def test_preprocessing_errors():
    check_raises(lambda: Standardizer().transform(np.zeros((2, 2))), RuntimeError,
                 "Standardizer.transform", "fit")
    check_raises(lambda: Standardizer().fit(np.zeros((3, 2))).transform(np.zeros((3, 4))),
                 ValueError, "Standardizer.transform", "(2,)", "(3, 4)")
    check_raises(lambda: MinMax((1, 0)), ValueError, "MinMax", "(1, 0)")
    check_raises(lambda: MinMax().fit(np.zeros((0, 2))), ValueError, "MinMax", "(0, 2)")
    check_raises(lambda: one_hot([0, 3], num_classes=3), ValueError, "one_hot", "3")
    check_raises(lambda: one_hot([-1]), ValueError, "one_hot", "-1")
    check_raises(lambda: one_hot([0.5]), TypeError, "one_hot", "float64")
    check_raises(lambda: class_weights([]), ValueError, "class_weights")
    check_raises(lambda: class_weights([0, 5], num_classes=2), ValueError, "class_weights", "5")
    # True is no class count (it used to mean 1)
    check_raises(lambda: one_hot([0], num_classes=True), ValueError, "one_hot", "num_classes", "True")
    check_raises(lambda: class_weights([0], num_classes=-1), ValueError, "class_weights", "-1")
