"""Generated free texts for tests and benches: short support messages about a few topics, each text mostly
common words plus some of its topic's words, an occasional name or order number, lengths drawn the same way
whatever the topic. A window drifts by its topic mix, not by its lengths.

    rng = np.random.default_rng(1)
    reference = messages(rng, 2000)                    # the quiet mix
    window = messages(rng, 500, SHIFTED_MIX)           # same lengths, other topics
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# Words of similar lengths in every topic, so that a topic does not change the texts' lengths much.
TOPICS: dict[str, tuple[str, ...]] = {
    "billing": _listed("invoice charge charged refund payment billing price paid twice amount receipt credit"),
    "delivery": _listed("parcel courier delivery shipped tracking arrive late address package driver depot box"),
    "account": _listed("password login account email locked reset username verify profile code access sign"),
    "product": _listed("screen battery broken charger button cable sound speaker camera display cracked power"),
    "warranty": _listed("warranty repair claim return replace faulty expired covered service engineer serial fix"),
}
FILLER = _listed(
    "the my i is was and to a not please help it this with for today again still why have been you can me on no "
    "but what when there order thanks hello need now just all did get any"
)
QUIET_MIX = {"billing": 0.35, "delivery": 0.30, "account": 0.20, "product": 0.15}
SHIFTED_MIX = {"billing": 0.15, "delivery": 0.30, "account": 0.20, "product": 0.35}  # same topics, other shares
NEW_TOPIC_MIX = {"billing": 0.28, "delivery": 0.24, "account": 0.16, "product": 0.12, "warranty": 0.20}
TOPIC_WORD_SHARE = 0.35
ENDINGS = (".", "?", "!", "...")


def messages(rng: np.random.Generator, n: int, mix: dict[str, float] = QUIET_MIX) -> pd.Series:
    """`n` texts whose topics are drawn from `mix` (shares summing to 1)."""
    names = list(mix)
    topics = rng.choice(len(names), n, p=np.array([mix[t] for t in names]) / sum(mix.values()))
    return pd.Series([_message(rng, TOPICS[names[t]]) for t in topics], name="comment")


def _message(rng: np.random.Generator, topic: tuple[str, ...]) -> str:
    count = 3 + int(rng.poisson(8))
    chosen = [
        topic[rng.integers(len(topic))] if rng.random() < TOPIC_WORD_SHARE else FILLER[rng.integers(len(FILLER))]
        for _ in range(count)
    ]
    if rng.random() < 0.3:  # a name, a product code: words the reference mostly never saw
        chosen.insert(int(rng.integers(len(chosen) + 1)), _rare_word(rng))
    if rng.random() < 0.2:
        chosen.append(f"#{rng.integers(10_000, 99_999)}")
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + ENDINGS[rng.integers(len(ENDINGS))]


def _rare_word(rng: np.random.Generator) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(letters[i] for i in rng.integers(0, 26, 3 + int(rng.integers(5)))).capitalize()
