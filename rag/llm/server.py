"""The embedded LLM: llama.cpp's OpenAI-compatible HTTP server, run inside this process.

Speaking HTTP even in-process keeps one code path for local and remote models,
and the server reuses its KV cache when prompts share a prefix. xllamacpp has no
stop method: dropping the last reference to its `Server` joins its loop and
closes the port, so every stop here is "forget the object".
"""

from __future__ import annotations

import atexit
import logging
import socket
import threading
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag.errors import LLMError
from rag.llm.catalog import CATALOG, get_model
from rag.llm.modelfile import check_gguf, resolve_model_path
from rag.settings import Settings

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
LLAMA_VERBOSITY = 1  # llama.cpp prints errors only (3 = every request's timings)
HTTP_THREADS = 8  # so /health answers while requests queue for the single slot


def start_llama_server(
    model_path: Path,
    *,
    ctx: int,
    threads: int,
    port: int = 0,
    host: str = HOST,
    alias: str | None = None,
) -> tuple[Any, int]:
    """Start xllamacpp's server for `model_path`; return it and its bound port.

    port=0 lets the OS choose (no race with other processes). Drop the returned
    object to stop the server.
    """
    from xllamacpp import CommonParams, Server  # heavy native import, only when serving

    params = CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = ctx
    params.n_parallel = 1  # one slot owns the whole context, and its KV cache stays warm
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_threads_http = HTTP_THREADS
    params.hostnames = [host]
    params.port = port
    params.verbosity = LLAMA_VERBOSITY
    if alias:
        params.model_alias = {alias}
    try:
        server = Server(params)
    except RuntimeError as exc:
        where = f"{host}:{port}" if port else host
        raise LLMError(
            f"cannot start the llama.cpp server for {model_path} on {where}: {exc} "
            "(llama.cpp's messages above give the cause: port in use, bad file, too little memory)"
        ) from None
    bound = urlsplit(server.listening_address).port or port
    if not bound:
        raise LLMError(f"llama.cpp did not report its port ({server.listening_address!r})")
    return server, bound


def display_name(settings: Settings) -> str:
    """The model name clients send: the catalogue name, or the GGUF file's stem."""
    if settings.llm_model_path is not None:
        return settings.llm_model_path.stem
    return settings.llm_model


class EmbeddedServer:
    """A lazily started in-process llama.cpp server for `settings`' model.

    Thread-safe; restarts at most `max_restarts` times over its life if the
    server dies, so a crash loop becomes an LLMError instead of a hang.
    """

    def __init__(
        self, settings: Settings, *, max_restarts: int = 1, health_timeout: float = 5.0
    ) -> None:
        if settings.llm_model_path is None:
            get_model(settings.llm_model)  # a typo fails now, not at the first question
        else:
            check_gguf(settings.llm_model_path)
        self.model_name = display_name(settings)
        self.ctx = settings.llm_ctx
        self.threads = settings.llm_threads
        self._settings = settings
        self._max_restarts = max_restarts
        self._health_timeout = health_timeout
        self._lock = threading.RLock()
        self._server: Any = None
        self._port = 0  # 0 = not started (or closed)
        self._model_path: Path | None = None
        self.restarts = 0
        _LIVE.add(self)

    @property
    def started(self) -> bool:
        return self._port != 0

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:N/v1`; starts the server on first access."""
        with self._lock:
            if not self._port:
                self._start()
            return self._url()

    def ensure_alive(self) -> str:
        """Base URL of a healthy server: start it, or restart it once if it died."""
        with self._lock:
            if not self._port:
                self._start()
                return self._url()
            if self._server is not None and self._healthy():
                return self._url()
            if self.restarts >= self._max_restarts:
                again = " again after a restart" if self.restarts else ""
                raise LLMError(
                    f"the embedded llama.cpp server ({self.model_name}) at {self._url()} "
                    f"stopped{again}; giving up. Restart rag; if it keeps stopping, "
                    "lower llm_ctx or choose a smaller llm_model"
                )
            self.restarts += 1
            log.warning(
                "embedded LLM server at %s is down; restarting (%d/%d)",
                self._url(),
                self.restarts,
                self._max_restarts,
            )
            self._server = None
            self._start(prefer_port=self._port)
            return self._url()

    def close(self) -> None:
        """Stop the server (if running); a later `base_url` starts a fresh one."""
        with self._lock:
            self._server = None  # xllamacpp stops when its object is released
            self._port = 0

    def describe(self) -> str:
        where = self._url() if self._port else "(not started)"
        return (
            f"embedded llama.cpp server, model {self.model_name}, "
            f"context {self.ctx} tokens, {self.threads} threads, at {where}"
        )

    def _kill(self) -> None:
        """Stop the server behind our back, as a crash would (tests)."""
        with self._lock:
            self._server = None

    def _url(self) -> str:
        return f"http://{HOST}:{self._port}/v1"

    def _start(self, prefer_port: int = 0) -> None:
        if self._model_path is None:
            self._model_path = resolve_model_path(self._settings)
            model = CATALOG.get(self._settings.llm_model)
            if self._settings.llm_model_path is None and model and self.ctx > model.n_ctx_train:
                log.warning(
                    "llm_ctx %d exceeds %s's trained context %d; answers may degrade",
                    self.ctx,
                    model.name,
                    model.n_ctx_train,
                )
        try:
            server, port = self._launch(prefer_port)
        except LLMError:
            if not prefer_port:
                raise
            server, port = self._launch(0)  # the old port was taken meanwhile
        self._server, self._port = server, port
        log.info("embedded LLM server for %s listening at %s", self.model_name, self._url())

    def _launch(self, port: int) -> tuple[Any, int]:
        assert self._model_path is not None
        return start_llama_server(
            self._model_path, ctx=self.ctx, threads=self.threads, port=port, alias=self.model_name
        )

    def _healthy(self) -> bool:
        """False only if the server is clearly gone; a slow answer means busy, not dead."""
        try:
            with urllib.request.urlopen(
                f"http://{HOST}:{self._port}/health", timeout=self._health_timeout
            ) as resp:
                return bool(resp.status == 200)
        except urllib.error.HTTPError as exc:
            return exc.code == 503  # still loading
        except TimeoutError:
            return True
        except (urllib.error.URLError, OSError) as exc:
            return isinstance(getattr(exc, "reason", None), TimeoutError)  # timeout = busy


_LIVE: weakref.WeakSet[EmbeddedServer] = weakref.WeakSet()
_SHARED: dict[tuple[object, ...], EmbeddedServer] = {}
_SHARED_LOCK = threading.Lock()


def shared_server(settings: Settings) -> EmbeddedServer:
    """One EmbeddedServer per (model, context, threads) per process: a model loads once."""
    key = (
        str(settings.llm_model_path.expanduser().resolve()) if settings.llm_model_path else None,
        settings.llm_model,
        str(settings.model_cache.expanduser().resolve()),
        settings.llm_ctx,
        settings.llm_threads,
    )
    with _SHARED_LOCK:
        server = _SHARED.get(key)
        if server is None:
            server = _SHARED[key] = EmbeddedServer(settings)
        return server


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (for a separately started server)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@atexit.register
def _close_all() -> None:
    """Stop servers before interpreter teardown, while their native code can still run."""
    for server in list(_LIVE):
        server.close()
