"""Contract tests every embedding backend passes, plus backend-specific checks.

The OpenAI-compatible backend is exercised over real HTTP against
`MiniLMEmbeddingsServer`, a small stdlib server speaking the `/v1/embeddings`
protocol with the real bundled model behind it (a stand-in for vLLM/Ollama/OpenAI).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from rag.embeddings import Embedder, make_embedder
from rag.embeddings.openai_compat import OpenAIEmbedder
from rag.errors import LLMError
from rag.settings import Settings

TEXTS = [
    "The memorandum was signed in Istanbul on July 22, 2025.",
    "Bananas are a good source of potassium.",
    "Azerbaijan's parliament ratified the defense agreement with Türkiye.",
]


class MiniLMEmbeddingsServer:
    """`POST /v1/embeddings` answered by the real MiniLM model, on 127.0.0.1."""

    def __init__(self, model) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                vectors = model.embed_documents(texts)
                data = [
                    {"object": "embedding", "index": i, "embedding": v}
                    for i, v in reversed(list(enumerate(vectors)))  # out of order on purpose
                ]
                out = json.dumps(
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def server(embedder):
    s = MiniLMEmbeddingsServer(embedder)
    yield s
    s.close()


@pytest.fixture(params=["local", "openai"])
def backend(request, embedder, server) -> Embedder:
    if request.param == "local":
        return embedder
    return make_embedder(
        Settings(
            embed_backend="openai",
            embed_base_url=server.url,
            embed_model="all-MiniLM-L6-v2",
            embed_batch=2,
        )
    )


def test_contract_normalised_deterministic_and_meaningful(backend: Embedder) -> None:
    docs = np.array(backend.embed_documents(TEXTS))
    assert docs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert np.allclose(docs, np.array(backend.embed_documents(TEXTS)), atol=1e-6)
    q = np.array(backend.embed_query("Where was the memorandum signed?"))
    sims = docs @ q
    assert sims[0] > sims[2] > sims[1]
    assert backend.embed_documents([]) == []
    assert isinstance(backend.model_id, str) and backend.model_id


def test_batching_does_not_change_vectors(embedder) -> None:
    one = np.array([embedder.embed_query(t) for t in TEXTS])
    many = np.array(embedder.embed_documents(TEXTS))
    assert np.allclose(one, many, atol=1e-4)


def test_openai_backend_batches_and_keeps_order(server, embedder) -> None:
    e = OpenAIEmbedder(base_url=server.url, api_key=None, model="m", batch_size=2)
    before = len(server.requests)
    vectors = e.embed_documents(TEXTS)
    assert len(server.requests) - before == 2  # 3 texts in batches of 2
    assert np.allclose(vectors, embedder.embed_documents(TEXTS), atol=1e-5)
    assert e.model_id == "openai:m" and e.dimensions == 384


def test_openai_backend_server_down_is_a_clear_error() -> None:
    from rag_testing import free_port

    e = OpenAIEmbedder(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key=None, model="m")
    with pytest.raises(LLMError, match="embedding server at http://127.0.0.1"):
        e.embed_documents(["x"])
