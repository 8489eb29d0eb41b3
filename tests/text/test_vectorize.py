import numpy as np
import pytest

import glia
from glia.text import BagOfWords, TfidfVectorizer, WordTokenizer
from helpers import check_raises

import sklearn.feature_extraction.text as text

DOCS = ["The cat sat on the mat.", "The dog sat on the log, the end.",
        "Cats and dogs! Dogs and cats?", "A mat is not a log.", "the the the cat"]
NEW = ["A cat and a dog on a mat.", "unseen words only", "the"]
TOKENIZE = WordTokenizer(lowercase=True).tokenize


def _sk(cls, **kw):
    # sklearn with our tokenizer and no preprocessing of its own: the same token streams
    return cls(tokenizer=TOKENIZE, lowercase=False, token_pattern=None, **kw)


def test_default_tokens_are_sklearn_defaults():
    for ours, ref in ((BagOfWords(), text.CountVectorizer()),
                      (TfidfVectorizer(), text.TfidfVectorizer())):
        got = ours.fit_transform(DOCS).numpy()
        assert ours.vocabulary_ == ref.fit(DOCS).vocabulary_
        assert "." not in ours.vocabulary_ and "a" not in ours.vocabulary_
        np.testing.assert_allclose(got, ref.transform(DOCS).toarray(), rtol=1e-6)
        np.testing.assert_allclose(ours.transform(NEW).numpy(), ref.transform(NEW).toarray(),
                                   rtol=1e-6)


# max_features values cut between counts: sklearn breaks ties at the cut arbitrarily
@pytest.mark.parametrize("kw", [{}, {"min_df": 2}, {"max_df": 0.5}, {"max_features": 2},
                                {"binary": True}, {"min_df": 0.3, "max_features": 7},
                                {"min_df": 0.3, "max_features": 2}])
def test_bag_of_words_matches_count_vectorizer(kw):
    ours, ref = BagOfWords(tokenizer=TOKENIZE, **kw), _sk(text.CountVectorizer, **kw)
    got = ours.fit_transform(DOCS)
    want = ref.fit_transform(DOCS).toarray()
    assert isinstance(got, glia.Tensor) and got.dtype == glia.float32
    assert ours.vocabulary_ == ref.vocabulary_
    assert ours.get_feature_names() == list(ref.get_feature_names_out())
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(ours.transform(NEW).numpy(), ref.transform(NEW).toarray())


@pytest.mark.parametrize("kw", [{}, {"smooth_idf": False}, {"sublinear_tf": True},
                                {"norm": None}, {"norm": "l1", "sublinear_tf": True},
                                {"use_idf": False}, {"min_df": 2, "smooth_idf": False}])
def test_tfidf_matches_sklearn(kw):
    ours, ref = TfidfVectorizer(tokenizer=TOKENIZE, **kw), _sk(text.TfidfVectorizer, **kw)
    np.testing.assert_allclose(ours.fit_transform(DOCS).numpy(),
                               ref.fit_transform(DOCS).toarray(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.transform(NEW).numpy(), ref.transform(NEW).toarray(),
                               rtol=1e-6, atol=1e-7)
    if ours.use_idf:
        np.testing.assert_allclose(ours.idf_, ref.idf_, rtol=1e-12)


def test_tfidf_rows_have_unit_norm():
    out = TfidfVectorizer().fit(DOCS).transform(NEW).numpy()
    np.testing.assert_allclose(np.linalg.norm(out[[0, 2]], axis=1), 1, rtol=1e-6)
    assert np.all(out[1] == 0)  # nothing known: a zero row, not NaN


def test_custom_tokenizer():
    bow = BagOfWords(tokenizer=str.split).fit(["a b", "b c c"])
    np.testing.assert_array_equal(bow.transform(["c c c a"]).numpy(), [[1, 0, 3]])
    # max_features keeps the most frequent tokens, ties broken alphabetically
    top = BagOfWords(tokenizer=str.split, max_features=2).fit(["b a c", "c"])
    assert top.get_feature_names() == ["a", "c"]


def test_vectorizer_errors():
    check_raises(lambda: BagOfWords().transform(DOCS), RuntimeError, "BagOfWords.transform",
                 "fit")
    check_raises(lambda: BagOfWords().fit("one string"), TypeError, "BagOfWords.fit", "list")
    check_raises(lambda: BagOfWords(min_df=1.5).fit(DOCS), ValueError, "min_df", "1.5")
    check_raises(lambda: BagOfWords(min_df=10).fit(DOCS), ValueError, "BagOfWords.fit",
                 "min_df")
    check_raises(lambda: BagOfWords(max_features=0), ValueError, "max_features")
    check_raises(lambda: TfidfVectorizer(norm="l3"), ValueError, "TfidfVectorizer", "l3")
    check_raises(lambda: BagOfWords().fit([]), ValueError, "BagOfWords.fit")
    # errors name the class the user made, and the tokenizer its own name
    check_raises(lambda: TfidfVectorizer(max_df=-1).fit(DOCS), ValueError,
                 "TfidfVectorizer.fit", "max_df", "-1")
    check_raises(lambda: BagOfWords().fit([3]), TypeError, "default_tokenize", "str", "int")
