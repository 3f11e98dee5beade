"""How a text is cut into words: one tokeniser for the descriptors, the classifier and the typical terms."""

from __future__ import annotations

import re
from itertools import pairwise

# Runs of unicode letters and digits (a word character that is not an underscore).
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: runs of unicode letters and digits ("Don't stop" -> ["don", "t", "stop"])."""
    return _WORD.findall(text.lower())


def terms(tokens: list[str]) -> list[str]:
    """The words and the two-word phrases of a text, as the classifier and the typical terms see them."""
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]
