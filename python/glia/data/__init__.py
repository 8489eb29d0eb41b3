"""Data: datasets, loaders, samplers, splits, preprocessing, augmentation and generators."""
from glia.data import transforms  # noqa: F401
from glia.data.collate import default_collate  # noqa: F401
from glia.data.dataset import Dataset, Subset, TensorDataset  # noqa: F401
from glia.data.datasets import (  # noqa: F401
    load_breast_cancer, load_digits, load_iris, load_mnist, load_wine,
)
from glia.data.generators import (  # noqa: F401
    make_moons, make_sine_sequences, make_spirals, make_xor,
)
from glia.data.loader import DataLoader  # noqa: F401
from glia.data.preprocessing import (  # noqa: F401
    MinMax, Standardizer, class_weights, normalize, one_hot, standardize,
)
from glia.data.sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)
from glia.data.split import random_split, train_val_test_split  # noqa: F401
from glia.data.text_corpus import load_text_corpus  # noqa: F401
