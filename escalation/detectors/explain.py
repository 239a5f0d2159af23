"""Which words of a message decided a head's verdict.

The encoder's vector is the mean of its tokens' vectors, scaled to length one, and a head is
linear in it, so the head's score of a message is exactly a sum of one term per word
(``encoder.word_shares``). The words quoted as evidence are the run of at most ``LONGEST``
consecutive words with the largest sum: what pushed the score up most, read off the model
itself rather than from a list of cue words.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from escalation.detectors.encoder import word_shares

__all__ = ["LONGEST", "deciding_words"]

LONGEST = 4


def deciding_words(text: str, weights: npt.NDArray[np.float32]) -> str:
    """The words of ``text`` that raised the score of the head with these encoding weights
    most (at most ``LONGEST`` in a row), as they appear in the message."""
    spans, shares = word_shares(text)
    if not spans:
        return text.strip()
    push = shares @ weights
    best, best_span = -np.inf, (0, 0)
    for first in range(len(spans)):
        total = 0.0
        for last in range(first, min(first + LONGEST, len(spans))):
            total += float(push[last])
            if total > best:
                best, best_span = total, (spans[first][0], spans[last][1])
    start, end = best_span
    # Out to whole words as written: the tokenizer splits "I'm" and "asking!!!" in parts.
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]
