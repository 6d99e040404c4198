"""Settings: the one place for defaults. Every field can be set as ASSISTANT_<FIELD> in the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"

Backend = Literal["auto", "extractive", "local", "openai"]
EncoderKind = Literal["int8", "fp32"]


class Settings(BaseSettings):
    """How the assistant indexes, retrieves and answers."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", validate_default=True)

    home: Path = Field(Path(".assistant"), description="Data directory: Chroma, keyword index, model files.")
    seeds_dir: Path = Field(REPO_SEEDS, description="Articles indexed on the first question when the index is empty.")
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server (`chroma run`); unset means embedded Chroma in `home`."
    )

    encoder: EncoderKind = Field("int8", description="MiniLM through ONNX int8 (fast) or sentence-transformers fp32.")
    embed_batch_size: int = Field(16, ge=1, le=1024, description="Chunks embedded per batch (16: fastest for int8 here).")
    encoder_cache: Path | None = Field(
        None, description="Folder for the int8 encoder made from the packaged weights on first use; unset means <home>/models."
    )
    chunk_tokens: int = Field(256, ge=32, le=2048, description="Chunk budget in tiktoken (cl100k_base) tokens.")
    chunk_overlap: int = Field(32, ge=0, le=512, description="Tokens of trailing sentences repeated in the next chunk.")
    max_file_mb: float = Field(64.0, gt=0, description="Larger input files are refused.")

    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answer backend.")
    candidates: int = Field(30, ge=1, le=500, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")

    llm: Backend = Field(
        "auto", description="Answer backend: auto (local if its model is installed, else extractive), extractive, local, openai."
    )
    openai_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1."
    )
    openai_model: str | None = Field(None, description="Model name sent to the OpenAI-compatible server.")
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"),
        description="Key for the OpenAI-compatible server (read from OPENAI_API_KEY).",
    )
    request_timeout: float = Field(60.0, gt=0, description="Seconds before a request to an answer server gives up.")
    local_model_path: Path | None = Field(None, description="A GGUF file to use instead of the packaged Qwen2.5 model.")
    context_tokens: int = Field(2048, ge=256, description="Token budget for passages in a generated answer's prompt.")
    max_answer_tokens: int = Field(256, ge=16, description="Most tokens a generated answer may have.")
    history_turns: int = Field(6, ge=0, description="Chat turns kept for resolving follow-up questions.")
    auth: SecretStr | None = Field(
        None,
        description="Login for the web UI: user:password, or the path of a file of user:password lines; unset means no login.",
    )

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.home / "keyword"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"
