"""One typed settings object, built once from `RAG_*` env vars and an optional `rag.toml`.

Every stage receives the settings (or the few values it needs) as an argument;
nothing deep inside the pipeline reads the environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from rag.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INCLUDE = ["*.txt", "*.md", "*.markdown", "*.html", "*.htm", "*.pdf", "*.docx"]


def _config_file() -> Path:
    return Path(os.environ.get("RAG_CONFIG", "rag.toml"))


class Settings(BaseSettings):
    """Everything a user can configure; see `rag config` for the effective values."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", extra="forbid", validate_default=True, frozen=False
    )

    # storage
    home: Path = Field(Path(".rag"), description="data directory (index, caches, models)")
    chroma_url: str | None = Field(None, description="Chroma server URL; embedded store if unset")
    collection: str = Field("rag", min_length=3, max_length=60)

    # loading
    include: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_file_mb: float = Field(50.0, gt=0, description="files larger than this are refused")

    # chunking (cl100k tokens; defaults keep chunks inside MiniLM's 256-wordpiece window)
    chunk_tokens: int = Field(180, ge=16, le=8192)
    chunk_overlap: int = Field(30, ge=0, le=4096)

    # embeddings
    embed_backend: Literal["local", "openai"] = "local"
    embed_model: str = "all-MiniLM-L6-v2"
    embed_base_url: str | None = None
    embed_api_key: SecretStr | None = None
    embed_dimensions: int | None = Field(None, gt=0)
    embed_threads: int = Field(2, ge=1, le=256)
    embed_batch: int = Field(8, ge=1, le=4096)  # measured best on 2 cores
    ingest_window: int = Field(
        256, ge=1, le=100_000, description="new chunks embedded and upserted per write"
    )

    # LLM (OpenAI protocol); no base URL means the embedded llama.cpp server
    llm_base_url: str | None = None
    llm_api_key: SecretStr = SecretStr("sk-no-key")
    llm_model: str = "qwen2.5-coder-1.5b"
    llm_model_path: Path | None = None
    llm_ctx: int = Field(4096, ge=512, le=1_048_576)
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(400, ge=16, le=65536)
    llm_timeout: float = Field(180.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=10)
    llm_threads: int = Field(2, ge=1, le=256)

    # retrieval and answers
    top_k: int = Field(6, ge=1, le=100)
    fetch_k: int = Field(24, ge=1, le=1000)
    min_relevance: float = Field(0.30, ge=0.0, le=1.0)
    support_threshold: float = Field(0.5, ge=0.0, le=1.0)
    strict: bool = False
    max_question_chars: int = Field(4000, ge=10)

    # UI
    ui_host: str = "127.0.0.1"
    ui_port: int = Field(7860, ge=0, le=65535)
    ui_auth: SecretStr | None = Field(None, description="user:password enables login")
    ui_max_upload_mb: float = Field(20.0, gt=0)

    prompts_dir: Path = REPO_ROOT / "prompts"
    model_cache: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rag"
        ),
        description="joined GGUF files live in model_cache/models, shared by every RAG_HOME",
    )

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _globs(cls, v: Any) -> Any:
        """Env values may be a JSON list or comma-separated globs: '*.md,*.txt'."""
        if isinstance(v, str):
            if v.strip().startswith("["):
                try:
                    return json.loads(v)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a valid JSON list: {exc.msg}") from None
            return [g.strip() for g in v.split(",") if g.strip()]
        return v

    @field_validator("chroma_url", "llm_base_url", "embed_base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # derived paths
    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def masked(self) -> dict[str, Any]:
        """Effective values with secrets hidden, for `rag config`."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "****" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once; a bad value becomes a ConfigError naming the key and its origin."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "?"
            origin = f"RAG_{key.upper()}" if f"RAG_{key.upper()}" in os.environ else key
            if origin == key and _config_file().is_file():
                origin = f"{key} (in {_config_file()})"
            problems.append(f"{origin}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
    except SettingsError as exc:  # a value pydantic-settings could not even parse
        raise ConfigError(f"invalid settings: {exc}") from None
    except (OSError, ValueError) as exc:  # unreadable or malformed rag.toml
        raise ConfigError(f"cannot read {_config_file()}: {exc}") from None
