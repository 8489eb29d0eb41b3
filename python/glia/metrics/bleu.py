"""BLEU (Papineni et al. 2002): n-gram precision of a translation against references.

    BLEU = BP * exp(sum_n w_n log p_n),   BP = 1 if c > r else exp(1 - r / c)

p_n is the modified n-gram precision: each hypothesis n-gram counts at most as often as it
appears in any single reference. Corpus BLEU sums the clipped counts and the lengths over
all sentences before dividing (it is not the mean of sentence scores); r sums, per
sentence, the reference length closest to the hypothesis length (the shorter on a tie).
Values match NLTK's corpus_bleu / sentence_bleu (as fractions in [0, 1], not percent).
"""
import math
from collections import Counter

__all__ = ["corpus_bleu", "sentence_bleu"]

_SMOOTHING = (None, "epsilon", "add1")


def _tokens(x, fn, what):
    if isinstance(x, str):
        return x.split()
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{fn}: each {what} must be a string or a list of tokens, "
                        f"got {type(x).__name__}") from None


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(list_of_references, hypotheses, max_n=4, weights=None, smoothing=None,
                epsilon=0.1):
    """BLEU of a whole corpus.

    Args:
        list_of_references: one entry per hypothesis: a list of references, each a string
            (split on whitespace) or a list of tokens.
        hypotheses: the candidate translations, strings or token lists.
        max_n: the longest n-gram counted (default 4).
        weights: one weight per n-gram order (default uniform 1 / max_n).
        smoothing: what to do with an order that has no match, which otherwise makes BLEU 0:
            None (BLEU is 0), 'epsilon' (count epsilon matches there; NLTK's method1) or
            'add1' (add 1 to the matches and the total of every order n >= 2; Lin & Och 2004,
            NLTK's method2).
    Returns:
        BLEU as a float in [0, 1].
    """
    fn = "corpus_bleu"
    if len(list_of_references) != len(hypotheses):
        raise ValueError(f"{fn}: {len(list_of_references)} reference lists for "
                         f"{len(hypotheses)} hypotheses")
    if not (isinstance(max_n, int) and max_n >= 1):
        raise ValueError(f"{fn}: max_n must be a positive int, got {max_n!r}")
    weights = [1.0 / max_n] * max_n if weights is None else list(weights)
    if len(weights) != max_n:
        raise ValueError(f"{fn}: {len(weights)} weights for max_n={max_n}")
    if smoothing not in _SMOOTHING:
        raise ValueError(f"{fn}: smoothing must be one of {_SMOOTHING}, got {smoothing!r}")
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for refs, hyp in zip(list_of_references, hypotheses):
        hyp = _tokens(hyp, fn, "hypothesis")
        if isinstance(refs, str):
            refs = [refs]  # one reference given as a plain string
        refs = [_tokens(r, fn, "reference") for r in refs]
        if not refs:
            raise ValueError(f"{fn}: a hypothesis has no references")
        for n in range(1, max_n + 1):
            counts = _ngrams(hyp, n)
            most = Counter()
            for r in refs:
                most |= _ngrams(r, n)  # the max count over references
            matches[n - 1] += sum(min(c, most[g]) for g, c in counts.items())
            totals[n - 1] += max(1, sum(counts.values()))
        hyp_len += len(hyp)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
    if matches[0] == 0 or hyp_len == 0:
        return 0.0
    log_sum = 0.0
    for n, (m, t, w) in enumerate(zip(matches, totals, weights)):
        if smoothing == "add1" and n > 0:
            m, t = m + 1, t + 1
        elif smoothing == "epsilon" and m == 0:
            m = epsilon
        if m == 0:
            return 0.0
        log_sum += w * math.log(m / t)
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return brevity * math.exp(log_sum)


def sentence_bleu(references, hypothesis, max_n=4, weights=None, smoothing=None, epsilon=0.1):
    """BLEU of one hypothesis against its references (see corpus_bleu for the arguments)."""
    return corpus_bleu([references], [hypothesis], max_n, weights, smoothing, epsilon)
