"""Data: datasets, loaders, samplers, splits, preprocessing, augmentation and generators."""
from glia.data import transforms  # noqa: F401
from glia.data.collate import default_collate  # noqa: F401
from glia.data.dataset import Dataset, Subset, TensorDataset  # noqa: F401
from glia.data.datasets import (  # noqa: F401
    load_breast_cancer, load_digits, load_iris, load_mnist, load_wine,
)
from glia.data.loader import DataLoader  # noqa: F401
from glia.data.sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)
from glia.data.text_corpus import load_text_corpus  # noqa: F401
