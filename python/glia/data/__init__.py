"""Data: datasets, loaders, preprocessing and augmentation."""
from glia.data.text_corpus import load_text_corpus  # noqa: F401
