"""ToolRAG: pick the few skills a command needs, so the planner sees only those.

A multi-label head (one sigmoid per catalog skill) over the command's sentence
embedding and its hashed words and word pairs, trained offline on the CPU from
verified synthetic data (:mod:`agent_node.datagen.toolrag_training`); its threshold is tuned on held-out data for recall.
The words are there because the embedding alone cannot tell some requests no
skill serves from ones a skill does: MiniLM puts "send an email to my boss"
next to "send a message to Bob". The head is a tiny ONNX graph, run on
onnxruntime like the encoder. A plain embedding-similarity top-k baseline is
kept for comparison.

A trained model is a directory: ``head.onnx`` and ``toolrag.json`` (skills in
head order, threshold, encoder, number of word buckets, sha256 of the head,
held-out figures).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_node.catalog.skills import Catalog
from agent_node.files.model_files import ModelFileError, onnx_session, verify_file
from agent_node.files.paths import share_dir
from agent_node.language.control_words import words
from agent_node.planning.encoder import DEFAULT_ENCODER, SentenceEncoder

HEAD_FILE = "head.onnx"
META_FILE = "toolrag.json"
WORD_BUCKETS = 2048


def default_model_dir() -> Path:
    return share_dir() / "models" / "toolrag_home_robot"


@dataclass(frozen=True)
class SkillScore:
    skill: str
    probability: float


class ToolRAGMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: list[str]
    threshold: float
    encoder: str = DEFAULT_ENCODER
    word_buckets: int = Field(0, ge=0)  # 0: the embedding alone (models trained before word features)
    head_sha256: str
    catalog_skills: list[str]
    train_samples: int = 0
    heldout: dict[str, float] = {}


# -- the head -------------------------------------------------------------------
def hashed_words(texts: Sequence[str], buckets: int) -> np.ndarray:
    """One row per text, with 1 in the bucket of each of its lower-cased words
    and word pairs ("send an email": send, an, email, "send an", "an email").
    The bucket is crc32 modulo ``buckets``: the same in every process and on
    every machine, which Python's ``hash`` is not."""
    out = np.zeros((len(texts), buckets), np.float32)
    for row, text in enumerate(texts):
        w = words(text)
        for gram in w + [f"{a} {b}" for a, b in zip(w, w[1:])]:
            out[row, zlib.crc32(gram.encode()) % buckets] = 1.0
    return out


def head_features(embeddings: np.ndarray, texts: Sequence[str], word_buckets: int) -> np.ndarray:
    """The head's input: each embedding, then its text's hashed words (if any buckets)."""
    if not word_buckets:
        return embeddings
    return np.hstack([embeddings, hashed_words(texts, word_buckets)])


@dataclass
class Head:
    """``sigmoid(relu(x @ w1 + b1) @ w2 + b2)``: one probability per skill, where
    ``x`` is :func:`head_features` (the embedding, then any hashed-word features)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def hidden(self, emb: np.ndarray) -> np.ndarray:
        return np.maximum(emb @ self.w1 + self.b1, 0.0)

    def __call__(self, emb: np.ndarray) -> np.ndarray:
        return sigmoid(self.hidden(emb) @ self.w2 + self.b2)

    def to_onnx(self, path: Path, word_buckets: int = 0) -> None:
        """The head as an ONNX graph over inputs ``embedding`` and, with ``word_buckets``
        (the last rows of ``w1``), ``words``."""
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        dim, k = self.w1.shape[0] - word_buckets, self.w2.shape[1]
        weights = {"W1": self.w1, "B1": self.b1, "W2": self.w2, "B2": self.b2}
        inputs = [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", dim])]
        features = [helper.make_node("Identity", ["embedding"], ["features"])]
        if word_buckets:
            inputs.append(helper.make_tensor_value_info("words", TensorProto.FLOAT, ["batch", word_buckets]))
            features = [helper.make_node("Concat", ["embedding", "words"], ["features"], axis=1)]
        graph = helper.make_graph(
            [*features,
             helper.make_node("MatMul", ["features", "W1"], ["h_raw"]),
             helper.make_node("Add", ["h_raw", "B1"], ["h_pre"]),
             helper.make_node("Relu", ["h_pre"], ["h"]),
             helper.make_node("MatMul", ["h", "W2"], ["logits_raw"]),
             helper.make_node("Add", ["logits_raw", "B2"], ["logits"]),
             helper.make_node("Sigmoid", ["logits"], ["probabilities"])],
            "toolrag_head",
            inputs,
            [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", k])],
            initializer=[numpy_helper.from_array(w.astype(np.float32), name) for name, w in weights.items()])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="agent_node")
        model.ir_version = 8
        onnx.checker.check_model(model)
        path.write_bytes(model.SerializeToString())


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


# -- selection --------------------------------------------------------------------
class ToolRAG:
    """A trained skill selector. ``select(command)`` -> skills with probabilities."""

    def __init__(self, model_dir: str | Path | None = None, catalog: Catalog | None = None,
                 encoder: SentenceEncoder | None = None, threads: int = 1):
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        meta_path = self.model_dir / META_FILE
        try:
            self.meta = ToolRAGMeta.model_validate_json(meta_path.read_text(encoding="utf-8"))
        except OSError:
            raise ModelFileError(f"no ToolRAG model at {self.model_dir} ({META_FILE} is missing); "
                                 "train one with `agent-toolrag train`") from None
        except (ValidationError, ValueError) as e:
            raise ModelFileError(f"ToolRAG model {meta_path} is corrupt: {e}") from None
        head_path = self.model_dir / HEAD_FILE
        verify_file(head_path, self.meta.head_sha256)
        if catalog is not None and sorted(catalog.skill_names) != sorted(self.meta.catalog_skills):
            raise ModelFileError(f"ToolRAG model {self.model_dir} was trained for another catalog "
                                 f"(skills {self.meta.catalog_skills}); retrain it for this one")
        self.head = onnx_session(head_path, threads, "ToolRAG head")
        self.encoder = encoder or SentenceEncoder(threads=threads)
        self.skills = self.meta.skills
        self.threshold = self.meta.threshold

    def probabilities(self, commands: Sequence[str]) -> np.ndarray:
        return self.head_probabilities(commands, self.encoder.encode(list(commands)))

    def head_probabilities(self, commands: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        feeds = {"embedding": embeddings.astype(np.float32)}
        if self.meta.word_buckets:
            feeds["words"] = hashed_words(commands, self.meta.word_buckets)
        return self.head.run(["probabilities"], feeds)[0]

    def scores(self, command: str, embedding: np.ndarray | None = None) -> list[SkillScore]:
        """Every skill with its probability, most likely first (``embedding``:
        the command's, when the caller has it already)."""
        emb = self.encoder.encode_one(command) if embedding is None else embedding
        probs = self.head_probabilities([command], emb[None, :])[0]
        return sorted((SkillScore(s, float(p)) for s, p in zip(self.skills, probs)),
                      key=lambda s: -s.probability)

    def select(self, command: str, threshold: float | None = None,
               embedding: np.ndarray | None = None) -> list[SkillScore]:
        """The skills whose probability reaches the threshold, most likely first."""
        t = self.threshold if threshold is None else threshold
        return [s for s in self.scores(command, embedding) if s.probability >= t]


class SimilarityBaseline:
    """Top-k skills by cosine similarity of command and skill description."""

    def __init__(self, catalog: Catalog, encoder: SentenceEncoder):
        self.encoder = encoder
        self.skills = catalog.skill_names
        texts = [f"{s.name.replace('_', ' ')}: {s.description}" for s in catalog.skills]
        self.skill_vectors = encoder.encode(texts)

    def select(self, command: str, k: int) -> list[SkillScore]:
        sims = self.skill_vectors @ self.encoder.encode_one(command)
        order = np.argsort(-sims)[:k]
        return [SkillScore(self.skills[i], float(sims[i])) for i in order]
