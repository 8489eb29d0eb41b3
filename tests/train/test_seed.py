"""glia.manual_seed makes a whole training run reproducible bit for bit."""
import os
import subprocess
import sys

import glia
import numpy as np
from glia import nn
from glia.data import DataLoader, TensorDataset, transforms
from glia.train import Trainer
from helpers import check_raises


def train_once(seed):
    """Init, dropout, DataLoader shuffling and augmentation all draw from glia's generator."""
    glia.manual_seed(seed)
    rng = np.random.default_rng(0)  # the data itself is fixed
    x = rng.random((96, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :3].mean((1, 2)) > x[:, 0, 3:].mean((1, 2))).astype(np.int64)
    augment = transforms.Compose([transforms.RandomAffine(degrees=10, translate=(0.2, 0.2)),
                                  transforms.GaussianNoise(0.05)])
    loader = DataLoader(TensorDataset(x, y, transform=augment), batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.3),
                          nn.Linear(64, 2))
    trainer = Trainer(model, nn.CrossEntropyLoss(), glia.optim.Adam(model.parameters(), lr=0.01),
                      verbose=0)
    history = trainer.fit(loader, epochs=3)
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}, history["loss"]


def test_same_seed_gives_bit_identical_training():
    weights_a, losses_a = train_once(7)
    weights_b, losses_b = train_once(7)
    assert losses_a == losses_b
    for key in weights_a:
        np.testing.assert_array_equal(weights_a[key], weights_b[key], err_msg=key)
    weights_c, losses_c = train_once(8)
    assert losses_c != losses_a
    assert not np.array_equal(weights_c["4.weight"], weights_a["4.weight"])
    assert glia.initial_seed() == 8


def test_manual_seed_checks_its_argument():
    check_raises(lambda: glia.manual_seed(-1), ValueError, "manual_seed", "-1")
    check_raises(lambda: glia.manual_seed(2**64), ValueError, "manual_seed")
    check_raises(lambda: glia.manual_seed(1.5), TypeError, "manual_seed", "float")
    glia.manual_seed(np.int64(3))  # numpy ints are ints
    a = glia.rand(4).numpy()
    glia.manual_seed(3)
    np.testing.assert_array_equal(glia.rand(4).numpy(), a)


def test_initial_seed_is_read_from_the_generator():
    # seeding below the Python layer (as C++ code calling glia::manual_seed does) shows in
    # initial_seed(), and every 64-bit seed comes back whole
    glia._C.manual_seed(12345)
    assert glia.initial_seed() == 12345
    glia.manual_seed(2**64 - 1)
    assert glia.initial_seed() == 2**64 - 1
    glia.manual_seed(0)
    assert glia.initial_seed() == 0


def test_initial_seed_before_manual_seed_is_the_generators_start():
    # a fresh process: initial_seed() is the seed the C++ generator starts from, so
    # re-seeding with it replays the draws made before any manual_seed
    code = ("import glia, numpy as np\n"
            "s = glia.initial_seed()\n"
            "a = glia.rand(5).numpy()\n"
            "glia.manual_seed(s)\n"
            "b = glia.rand(5).numpy()\n"
            "print(s, np.array_equal(a, b))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == [str(0x5EED), "True"]
