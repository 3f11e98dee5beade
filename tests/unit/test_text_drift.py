"""Free-text columns (monitor/text/): descriptors on hand-made texts, new_words cross-fitted, content drift held
to its false-alarm rate on quiet windows and flagging a topic mix that changes while lengths stay the same, and
the report naming the new topic's words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.drift.detect import DriftSettings, ReferenceProfile, detect
from monitor.text.content import MAX_TEXTS_PER_SIDE, METHOD, ContentVerdict, judge_content, learn_content_reference
from monitor.text.descriptors import (
    DESCRIPTORS,
    Vocabulary,
    describe,
    descriptor_column,
    learn_text_reference,
)
from monitor.text.report import content_widgets
from monitor.text.tokens import words
from tests.text_world import NEW_TOPIC_MIX, SHIFTED_MIX, TOPICS, messages

ALPHA = 0.005 / 10  # a run's false-alarm budget shared by ten tests


@pytest.fixture(scope="module")
def reference() -> pd.Series:
    return messages(np.random.default_rng(2026), 2000)


@pytest.fixture(scope="module")
def content(reference):
    return learn_content_reference(reference, seed=7)


def test_words_are_lower_cased_runs_of_letters_and_digits():
    assert words("Don't STOP: café_au-lait, 42 times!") == ["don", "t", "stop", "café", "au", "lait", "42", "times"]
    assert words("  ...  ") == []


def test_descriptors_of_hand_made_texts():
    texts = pd.Series(["Hello, world!", "", None, "Café au lait 42", "  "], index=[10, 11, 12, 13, 14])
    got = describe(texts, Vocabulary.learn(["hello there", None, "CAFÉ"]))
    assert list(got.columns) == list(DESCRIPTORS) and list(got.index) == [10, 11, 12, 13, 14]
    assert got.loc[10].tolist() == [13.0, 2.0, 0.5, 2 / 13]  # "world" is new; "," and "!" are not letters
    assert got.loc[11].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert got.loc[12].isna().all()
    assert got.loc[13].tolist() == [15.0, 4.0, 0.75, 2 / 15]  # "café" known whatever its case; "42" not letters
    assert got.loc[14].tolist() == [2.0, 0.0, 0.0, 0.0]  # white space is neither a word nor a non-letter
    assert descriptor_column("comment", "new_words") == "comment:new_words"


def test_a_reference_row_s_new_words_are_measured_against_a_vocabulary_not_learnt_on_it():
    # Every text has a name of its own: a vocabulary learnt on the row itself would find no new word in it.
    texts = pd.Series([f"hello {name}" for name in ("ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal")])
    learnt = learn_text_reference(texts, seed=3)
    assert learnt.descriptors["new_words"].tolist() == [0.5] * 8
    assert learnt.descriptors.index.equals(texts.index)
    assert learnt.descriptors["length"].tolist() == [float(len(t)) for t in texts]
    # A window's texts are judged by the vocabulary of one half, then the other's, in turn, as the reference's were.
    first, second = learnt.vocabulary.words, learnt.vocabulary.other_half
    assert len(first) == len(second) == 1 + 4 and first & second == {"hello"}
    name = sorted(first - {"hello"})[0]
    window = pd.Series([f"hello {name}", f"hello {name}", f"hello {name}", "hello zed"])
    assert describe(window, learnt.vocabulary)["new_words"].tolist() == [0.0, 0.5, 0.0, 0.5]


def test_quiet_windows_descriptors_are_not_flagged_by_the_calibrated_tests(reference):
    """The reference's cross-fitted new_words and a window's have one distribution: no bias from the vocabulary
    (one learnt on the whole reference would find fewer new words in every window than the reference shows)."""
    learnt = learn_text_reference(reference, seed=5)
    columns = [descriptor_column("comment", d) for d in DESCRIPTORS]
    own = learnt.descriptors.set_axis(columns, axis=1)
    profile = ReferenceProfile(own, dict.fromkeys(columns, "numerical"), seed=1)
    rng = np.random.default_rng(11)
    flagged = 0
    for _ in range(12):
        window = describe(messages(rng, 2000), learnt.vocabulary).set_axis(columns, axis=1)
        verdicts = detect(window, profile, columns, DriftSettings(), alpha=ALPHA)
        flagged += any(v.detected for v in verdicts)
    assert flagged <= 1


def test_quiet_windows_are_not_flagged_and_the_classifier_s_null_holds(content):
    rng = np.random.default_rng(12)
    verdicts = [judge_content(content, messages(rng, 300), alpha=ALPHA, min_effect=0.0, seed=s) for s in range(40)]
    assert all(v.method == METHOD and v.rows == (300, 2000) for v in verdicts)
    assert sum(v.detected for v in verdicts) <= 1
    # The scores on the threshold's own scale: centred on 0 with spread 1 when the null is right. A null biased
    # by what was fitted (a vocabulary learnt on reference rows, rows judged by a model fitted on them) moves the
    # centre; Mann-Whitney's spread alone, without the cross-validation's widening, gives a spread of about 1.4.
    z = np.array([(v.score - 0.5) / (v.threshold - 0.5) * stats.norm.ppf(1 - ALPHA) for v in verdicts])
    assert abs(z.mean()) < 0.4 and 0.7 < z.std() < 1.25, (z.mean(), z.std())


def test_a_topic_mix_that_changes_while_lengths_stay_the_same_is_flagged(reference, content):
    rng = np.random.default_rng(13)
    windows = [messages(rng, 500, SHIFTED_MIX) for _ in range(12)]
    verdicts = [judge_content(content, w, alpha=ALPHA, min_effect=0.05, seed=s) for s, w in enumerate(windows)]
    assert sum(v.detected for v in verdicts) >= 11
    # The lengths alone do not tell: the calibrated test of the length descriptor flags at most one window.
    learnt = learn_text_reference(reference, seed=5)
    profile = ReferenceProfile(learnt.descriptors[["length"]], {"length": "numerical"}, seed=1)
    lengths = [
        detect(describe(w, learnt.vocabulary), profile, ["length"], DriftSettings(), alpha=ALPHA) for w in windows
    ]
    assert sum(v[0].detected for v in lengths) <= 1


def test_the_typical_terms_and_examples_name_the_new_topic(content):
    window = messages(np.random.default_rng(14), 1000, NEW_TOPIC_MIX)
    verdict = judge_content(content, window, alpha=ALPHA, min_effect=0.05, seed=1)
    assert verdict.detected
    new_words = set(TOPICS["warranty"])
    top = [term for term, _ in verdict.window_terms[:5]]
    assert all(set(term.split()) & new_words for term in top), top
    assert not any(set(term.split()) & new_words for term, _ in verdict.reference_terms)
    assert all(weight > 0 for _, weight in verdict.window_terms + verdict.reference_terms)
    assert all(set(words(text)) & new_words for text in verdict.window_examples)
    assert len(verdict.window_examples) == len(verdict.reference_examples) == 3


def test_the_verdict_is_seeded_and_a_large_window_is_sampled(content):
    window = messages(np.random.default_rng(15), MAX_TEXTS_PER_SIDE + 2000)
    window[::7] = None  # missing texts are left out, not judged as empty ones
    first = judge_content(content, window, alpha=ALPHA, min_effect=0.05, seed=3)
    assert first == judge_content(content, window, alpha=ALPHA, min_effect=0.05, seed=3)
    assert first.rows == (MAX_TEXTS_PER_SIDE, 2000)
    small = judge_content(content, window[:21], alpha=ALPHA, min_effect=0.05, seed=2**40)  # a seed of any size
    assert small.rows == (18, 2000)


def test_too_few_texts_give_no_verdict(content):
    verdict = judge_content(content, pd.Series(["late parcel", None] * 4), alpha=ALPHA, min_effect=0.05, seed=1)
    assert math.isnan(verdict.score) and not verdict.detected and verdict.rows == (4, 2000)
    assert verdict.window_terms == () and verdict.window_examples == ()


def test_the_report_shows_the_verdict_the_typical_terms_and_the_examples(content):
    window = messages(np.random.default_rng(16), 600, NEW_TOPIC_MIX)
    verdict = judge_content(content, window, alpha=ALPHA, min_effect=0.05, seed=1)
    page = _page(content_widgets("comment", verdict))
    assert "Text content drift: comment" in page and '"drifted"' in page
    assert f"{verdict.score:.3f} (threshold {verdict.threshold:.3f})" in page
    assert "600 of the window, 2,000 of the reference" in page
    assert verdict.window_terms[0][0] in page and verdict.reference_terms[0][0] in page
    assert verdict.window_examples[0] in page and verdict.reference_examples[0] in page
    not_judged = judge_content(content, window[:3], alpha=ALPHA, min_effect=0.0, seed=1)
    assert "fewer than 10 on a side" in _page(content_widgets("comment", not_judged))


def test_a_logged_text_cannot_end_the_report_s_script():
    evil = "refund </script><script>alert(1)</script>"
    verdict = ContentVerdict(0.7, 0.6, True, METHOD, (("refund", 3.0),), (("parcel", 2.0),), (evil,), ("ok",), (9, 9))
    page = _page(content_widgets("comment", verdict))
    assert "refund \\u2039/script>\\u2039script>alert(1)" in page  # JSON's spelling of the look-alike
    assert page.count("</script>") == _page([]).count("</script>")


def _page(widgets: list) -> str:
    from monitor.evaluation.report import ReportContext, render

    return render(ReportContext("m", "w", "r", 1, 1, 1, 1, None), widgets, [], script_src="evidently.js")
