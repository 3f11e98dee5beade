"""Content drift: can a model tell the window's texts from the reference's?

Both sides are sampled (at most MAX_TEXTS_PER_SIDE texts each, seeded) and cut into words and two-word phrases,
hashed into a fixed space (no vocabulary is learnt, so nothing fitted on reference rows makes them look unlike
the window's), weighted by tf-idf learnt on both samples together (it never sees which side a text is from),
and a logistic regression is cross-validated on them: the score is the out-of-fold ROC AUC of "this text is from
the window". Its threshold is the multivariate classifier's (multivariate.classifier.null_threshold: 0.5 plus as
many Mann-Whitney spreads as `alpha` asks) with the spread widened by CROSS_VALIDATION_SPREAD, because pooled
out-of-fold scores are not independent of the sides when nothing changed. A weakly fitted linear model's
direction is about the difference of the two sides' mean rows in its training folds, so the score of held-out
fold a is about sum over c != a of (d_a . d_c), d the folds' window-minus-reference mean differences: the folds'
terms share their pairs, each term is correlated 1/(K-1) with each other one, and the sum's variance is twice the
independent one whatever the number of folds K. Measured on quiet windows: spread 1.34-1.44 times Mann-Whitney's
(5 and 2 folds; a single held-out half, 0.99-1.03).

The terms typical of each side are the words and phrases whose share of texts differs most between the two
samples (log-odds ratio with a prior from both sides, as a z-score: Monroe, Colaresi and Quinn 2008); the
examples are the texts the classifier found most typical of their side.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from monitor.multivariate.classifier import null_threshold
from monitor.text.tokens import terms, words

MAX_TEXTS_PER_SIDE = 3000
MIN_TEXTS_PER_SIDE = 10  # fewer and there is nothing to cross-validate: no verdict
FOLDS = 5
TERMS_SHOWN = 10
EXAMPLES_SHOWN = 3
EXAMPLE_CHARACTERS = 300
CROSS_VALIDATION_SPREAD = math.sqrt(2.0)  # the no-drift spread of the out-of-fold AUC over Mann-Whitney's
PRIOR_TEXTS = 100.0  # the log-odds prior's weight, in texts: a term seen in a handful of texts stays modest
REGULARISATION = 0.1  # logistic regression's C: stronger than the default finds more in windows of a few hundred
METHOD = "text classifier (calibrated)"

_HASHER = HashingVectorizer(
    analyzer=lambda text_terms: text_terms, n_features=2**18, alternate_sign=False, norm=None, dtype=np.float64
)


@dataclass(frozen=True, eq=False)
class _Sample:
    texts: tuple[str, ...]
    counts: sparse.csr_matrix  # hashed term counts, one row per text
    documents: Counter[str]  # in how many of the texts each term occurs


@dataclass(frozen=True, eq=False)
class ContentReference:
    sample: _Sample  # a seeded sample of the reference's texts, hashed once
    rows: int  # the reference's texts (not missing) before sampling


@dataclass(frozen=True)
class ContentVerdict:
    score: float  # held-out ROC AUC of "this text is from the window" (NaN when a side has too few texts)
    threshold: float  # from the no-drift null at `alpha`
    detected: bool  # score > threshold and score - 0.5 >= min_effect
    method: str
    window_terms: tuple[tuple[str, float], ...]  # words/phrases most typical of the window (z of the log-odds)
    reference_terms: tuple[tuple[str, float], ...]  # most typical of the reference
    window_examples: tuple[str, ...]
    reference_examples: tuple[str, ...]
    rows: tuple[int, int]  # (window texts used, reference texts used)


def learn_content_reference(texts: pd.Series, *, seed: int) -> ContentReference:
    present = _present(texts)
    return ContentReference(_sample_of(present, np.random.default_rng(seed)), len(present))


def judge_content(
    reference: ContentReference, window: pd.Series, *, alpha: float, min_effect: float, seed: int
) -> ContentVerdict:
    rng = np.random.default_rng(seed)
    ref, cur = reference.sample, _sample_of(_present(window), rng)
    rows = (len(cur.texts), len(ref.texts))
    if min(rows) < MIN_TEXTS_PER_SIDE:
        return ContentVerdict(math.nan, math.nan, False, METHOD, (), (), (), (), rows)
    counts = sparse.vstack([ref.counts, cur.counts]).tocsr()
    # Only the hashed columns some text uses (a few thousand of 2**18): the same model, fitted 50 times faster.
    counts = counts[:, np.unique(counts.indices)]
    x = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    y = np.r_[np.zeros(len(ref.texts)), np.ones(len(cur.texts))]
    scores = np.zeros(len(y))
    state = int(rng.integers(2**31))  # sklearn's seeds stop at 2**32; the run's may not
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=state)
    for train, test in folds.split(np.zeros(len(y)), y):
        # The dual problem: fewer texts than columns, and it took 6-19 ms where the primal took up to 0.5 s.
        model = LogisticRegression(
            C=REGULARISATION, solver="liblinear", dual=True, class_weight="balanced", random_state=state
        )
        model.fit(x[train], y[train])
        scores[test] = model.decision_function(x[test])
    auc = float(roc_auc_score(y, scores))
    threshold = 0.5 + CROSS_VALIDATION_SPREAD * (null_threshold(alpha, rows[0], rows[1]) - 0.5)
    window_terms, reference_terms = typical_terms(cur.documents, rows[0], ref.documents, rows[1])
    ref_scores, cur_scores = scores[: rows[1]], scores[rows[1] :]
    return ContentVerdict(
        score=auc,
        threshold=threshold,
        detected=auc > threshold and auc - 0.5 >= min_effect,
        method=METHOD,
        window_terms=window_terms,
        reference_terms=reference_terms,
        window_examples=_examples(cur.texts, -cur_scores),
        reference_examples=_examples(ref.texts, ref_scores),
        rows=rows,
    )


def typical_terms(
    window: Counter[str], window_texts: int, reference: Counter[str], reference_texts: int, shown: int = TERMS_SHOWN
) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """The terms most typical of the window and of the reference, each with the z-score of its log-odds ratio
    (share of texts containing it, window against reference) under a prior from both sides together."""
    vocabulary = sorted(window.keys() | reference.keys())  # sorted: ties fall the same way in every process
    if not vocabulary:
        return (), ()
    a = np.array([window.get(term, 0) for term in vocabulary], dtype=float)
    b = np.array([reference.get(term, 0) for term in vocabulary], dtype=float)
    prior = PRIOR_TEXTS * (a + b) / (window_texts + reference_texts)
    a_odds = np.log((a + prior) / (window_texts + PRIOR_TEXTS - a - prior))
    b_odds = np.log((b + prior) / (reference_texts + PRIOR_TEXTS - b - prior))
    z = (a_odds - b_odds) / np.sqrt(1 / (a + prior) + 1 / (b + prior))
    order = np.argsort(-z, kind="stable")
    window_side = tuple((vocabulary[i], float(z[i])) for i in order[:shown] if z[i] > 0)
    reference_side = tuple((vocabulary[i], float(-z[i])) for i in order[::-1][:shown] if z[i] < 0)
    return window_side, reference_side


def _present(texts: pd.Series) -> list[str]:
    return [text for text in texts if isinstance(text, str)]


def _sample_of(texts: list[str], rng: np.random.Generator) -> _Sample:
    if len(texts) > MAX_TEXTS_PER_SIDE:
        texts = [texts[i] for i in np.sort(rng.choice(len(texts), MAX_TEXTS_PER_SIDE, replace=False))]
    cut = [terms(words(text)) for text in texts]
    documents: Counter[str] = Counter()
    for text_terms in cut:
        documents.update(set(text_terms))
    return _Sample(tuple(texts), _HASHER.transform(cut).tocsr(), documents)


def _examples(texts: tuple[str, ...], order_key: np.ndarray) -> tuple[str, ...]:
    """The first EXAMPLES_SHOWN texts by `order_key` (smallest first), shortened for the report."""
    chosen = np.argsort(order_key, kind="stable")[:EXAMPLES_SHOWN]
    return tuple(_shorten(texts[i]) for i in chosen)


def _shorten(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARACTERS else text[: EXAMPLE_CHARACTERS - 1].rstrip() + "…"
