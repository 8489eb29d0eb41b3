"""Bag-of-words and TF-IDF document vectors, as scikit-learn's CountVectorizer and
TfidfVectorizer (same vocabulary order, document-frequency cut-offs, idf formula, sublinear
tf and l2 normalization)."""
import collections
import numbers
import re

import numpy as np

import glia

# scikit-learn's default token_pattern: runs of 2 or more word characters
_TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def default_tokenize(text):
    """The tokens scikit-learn's vectorizers find by default: the lowercased text's runs of
    two or more word characters (punctuation and one-letter words are dropped)."""
    if not isinstance(text, str):
        raise TypeError(f"default_tokenize: documents must be str, got {type(text).__name__}")
    return _TOKEN_PATTERN.findall(text.lower())


def _doc_frequency_limit(value, n_docs, name, op):
    """min_df/max_df: an int count of documents or a float fraction of them."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{op}: {name} must be >= 0, got {value}")
        return int(value)
    if isinstance(value, numbers.Real) and 0.0 <= value <= 1.0:
        return value * n_docs
    raise ValueError(f"{op}: {name} must be an int count or a fraction in [0, 1], got "
                     f"{value!r}")


class BagOfWords:
    r"""Documents -> (n_docs, n_features) token counts.

    Args:
        tokenizer: text -> tokens (default: default_tokenize, scikit-learn's default
            lowercase=True with token_pattern r"(?u)\b\w\w+\b"); e.g.
            WordTokenizer(lowercase=True).tokenize keeps punctuation and one-letter words.
        min_df, max_df: keep tokens whose document frequency is within these (ints: counts;
            floats: fractions of the documents).
        max_features: keep the most frequent tokens (by count over the corpus).
        binary: 1 for presence instead of counts.
    Features are sorted by token, as in scikit-learn: ``vocabulary_`` maps token -> column.
    """

    def __init__(self, tokenizer=None, min_df=1, max_df=1.0, max_features=None, binary=False):
        self.tokenizer = tokenizer or default_tokenize
        if not callable(self.tokenizer):
            raise TypeError(f"{type(self).__name__}: tokenizer must be callable")
        if max_features is not None and (not isinstance(max_features, numbers.Integral)
                                         or max_features < 1):
            raise ValueError(f"{type(self).__name__}: max_features must be a positive int, "
                             f"got {max_features!r}")
        self.min_df, self.max_df = min_df, max_df
        self.max_features, self.binary = max_features, bool(binary)
        self.vocabulary_ = None

    def _token_counts(self, docs, op):
        if isinstance(docs, str):
            raise TypeError(f"{type(self).__name__}.{op}: expected an iterable of documents, "
                            "got one string; wrap it in a list")
        return [collections.Counter(self.tokenizer(d)) for d in docs]

    def fit(self, docs):
        self._fit(self._token_counts(docs, "fit"))
        return self

    def _fit(self, counts):
        n = len(counts)
        if n == 0:
            raise ValueError(f"{type(self).__name__}.fit: needs at least one document")
        df, total = collections.Counter(), collections.Counter()
        for c in counts:
            df.update(c.keys())
            total.update(c)
        lo = _doc_frequency_limit(self.min_df, n, "min_df", f"{type(self).__name__}.fit")
        hi = _doc_frequency_limit(self.max_df, n, "max_df", f"{type(self).__name__}.fit")
        kept = [t for t in df if lo <= df[t] <= hi]
        if self.max_features is not None:
            kept = sorted(kept, key=lambda t: (-total[t], t))[: self.max_features]
        if not kept:
            raise ValueError(f"{type(self).__name__}.fit: no tokens left after min_df/max_df; "
                             "lower min_df or raise max_df")
        self.vocabulary_ = {t: i for i, t in enumerate(sorted(kept))}
        self._df = np.array([df[t] for t in sorted(kept)], dtype=np.float64)
        self._n_docs = n

    def _matrix(self, counts):
        out = np.zeros((len(counts), len(self.vocabulary_)))
        for row, c in enumerate(counts):
            for token, k in c.items():
                col = self.vocabulary_.get(token)
                if col is not None:
                    out[row, col] = k
        return np.minimum(out, 1) if self.binary else out

    def transform(self, docs):
        """(n_docs, n_features) float32 counts; tokens not in the vocabulary are ignored."""
        if self.vocabulary_ is None:
            raise RuntimeError(f"{type(self).__name__}.transform: call fit(docs) first")
        return _tensor(self._weights(self._matrix(self._token_counts(docs, "transform"))))

    def fit_transform(self, docs):
        counts = self._token_counts(docs, "fit_transform")
        self._fit(counts)
        return _tensor(self._weights(self._matrix(counts)))

    def _weights(self, matrix):
        return matrix

    def get_feature_names(self):
        return sorted(self.vocabulary_, key=self.vocabulary_.get)


class TfidfVectorizer(BagOfWords):
    """Documents -> TF-IDF vectors, as scikit-learn's TfidfVectorizer:
    tf * idf with idf = ln((1 + n) / (1 + df)) + 1 (smooth_idf) or ln(n / df) + 1, tf the
    count or 1 + ln(count) (sublinear_tf), then each row scaled to unit l2 norm (norm='l2';
    None keeps the raw products). Other arguments as BagOfWords.
    """

    def __init__(self, tokenizer=None, min_df=1, max_df=1.0, max_features=None, binary=False,
                 norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False):
        super().__init__(tokenizer, min_df, max_df, max_features, binary)
        if norm not in ("l2", "l1", None):
            raise ValueError(f"TfidfVectorizer: norm must be 'l2', 'l1' or None, got {norm!r}")
        self.norm, self.use_idf = norm, bool(use_idf)
        self.smooth_idf, self.sublinear_tf = bool(smooth_idf), bool(sublinear_tf)

    @property
    def idf_(self):
        smooth = int(self.smooth_idf)
        return np.log((self._n_docs + smooth) / (self._df + smooth)) + 1.0

    def _weights(self, tf):
        if self.sublinear_tf:
            tf = np.where(tf > 0, 1.0 + np.log(np.maximum(tf, 1.0)), 0.0)
        if self.use_idf:
            tf = tf * self.idf_
        if self.norm is not None:
            scale = (np.abs(tf).sum(1) if self.norm == "l1"
                     else np.sqrt((tf * tf).sum(1)))[:, None]
            tf = tf / np.where(scale == 0, 1.0, scale)
        return tf


def _tensor(matrix):
    return glia.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))
