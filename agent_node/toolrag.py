"""ToolRAG: pick the few skills a command needs, so the planner sees only those.

A multi-label head (one sigmoid per catalog skill) over the command's sentence
embedding and its hashed words and word pairs, trained here on the CPU from
verified synthetic data; its threshold is tuned on held-out data for recall.
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

import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_node.catalog import Catalog
from agent_node.control_words import words
from agent_node.encoder import DEFAULT_ENCODER, SentenceEncoder, onnx_session
from agent_node.model_files import ModelFileError, sha256_of, verify_file
from agent_node.paths import share_dir

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
        return _sigmoid(self.hidden(emb) @ self.w2 + self.b2)

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


def _sigmoid(z: np.ndarray) -> np.ndarray:
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


# -- training ---------------------------------------------------------------------
@dataclass
class TrainingReport:
    """Figures of the out-of-fold (held-out) predictions at the tuned threshold."""

    train_samples: int
    folds: int
    threshold: float
    heldout_recall: float
    heldout_mean_selected: float
    heldout_exact: float


def multi_hot(skill_sets: Iterable[Iterable[str]], skills: list[str]) -> np.ndarray:
    index = {s: i for i, s in enumerate(skills)}
    sets = list(skill_sets)
    y = np.zeros((len(sets), len(skills)), dtype=np.float32)
    for row, names in enumerate(sets):
        for name in names:
            if name in index:
                y[row, index[name]] = 1.0
    return y


def fit_head(x: np.ndarray, y: np.ndarray, hidden: int = 256, epochs: int = 300, lr: float = 0.05,
             l2: float = 1e-4, seed: int = 0) -> Head:
    """Full-batch Adam on a one-hidden-layer head (``x``: :func:`head_features`);
    each label's positives and negatives weigh half each, so rare skills are not
    drowned out."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = y.shape[1]
    head = Head(rng.normal(0, math.sqrt(2 / d), (d, hidden)).astype(np.float32), np.zeros(hidden, np.float32),
                rng.normal(0, math.sqrt(1 / hidden), (hidden, k)).astype(np.float32), np.zeros(k, np.float32))
    pos = y.mean(axis=0).clip(1e-3, 1 - 1e-3)
    weight = np.where(y > 0, 0.5 / pos, 0.5 / (1 - pos)).astype(np.float32)
    params = [head.w1, head.b1, head.w2, head.b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step in range(1, epochs + 1):
        h_pre = x @ head.w1 + head.b1
        h = np.maximum(h_pre, 0.0)
        g = (_sigmoid(h @ head.w2 + head.b2) - y) * weight / n
        gh = (g @ head.w2.T) * (h_pre > 0)
        grads = [x.T @ gh + l2 * head.w1, gh.sum(axis=0), h.T @ g + l2 * head.w2, g.sum(axis=0)]
        for i, (param, grad) in enumerate(zip(params, grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    return head


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each sample's probabilities from a head that did not see it in training."""
    order = np.random.default_rng(seed).permutation(len(x))
    probs = np.zeros_like(y)
    for fold in np.array_split(order, folds):
        train = np.setdiff1d(order, fold)
        probs[fold] = fit_head(x[train], y[train], seed=seed)(x[fold])
    return probs


def selection_figures(probs: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """(recall: share of commands with every gold skill selected, mean selected, exact-set share)."""
    chosen = probs >= threshold
    gold = y > 0
    recall = float(np.mean(np.all(chosen | ~gold, axis=1)))
    return recall, float(chosen.sum(axis=1).mean()), float(np.mean(np.all(chosen == gold, axis=1)))


def tune_threshold(probs: np.ndarray, y: np.ndarray, target_recall: float) -> float:
    """The highest threshold whose recall reaches ``target_recall`` (the lowest
    candidate if none does)."""
    candidates = sorted({0.5, *np.round(np.geomspace(1e-4, 0.9, 160), 6)}, reverse=True)
    for t in candidates:
        if selection_figures(probs, y, t)[0] >= target_recall:
            return float(t)
    return float(candidates[-1])


def train_toolrag(catalog: Catalog, commands: Sequence[str], skill_sets: Sequence[Sequence[str]],
                  out_dir: str | Path, encoder: SentenceEncoder | None = None, folds: int = 5,
                  target_recall: float = 0.995, seed: int = 0, word_buckets: int = WORD_BUCKETS) -> TrainingReport:
    """Train a head on (command, skills) pairs and write the model directory.

    The threshold is tuned on out-of-fold probabilities of every sample (k-fold),
    which is far steadier than one small held-out split; the head that is saved
    is then trained on all samples. ``word_buckets`` 0 trains on the embedding
    alone.
    """
    if len(commands) != len(skill_sets) or len(commands) < 2 * folds:
        raise ValueError(f"training needs at least {2 * folds} (command, skills) pairs")
    if word_buckets < 0:
        raise ValueError(f"word buckets must be 0 (the embedding alone) or more, not {word_buckets}")
    encoder = encoder or SentenceEncoder(threads=2)
    skills = catalog.skill_names
    x = head_features(encoder.encode(list(commands)), commands, word_buckets)
    y = multi_hot(skill_sets, skills)
    oof = out_of_fold(x, y, folds, seed)
    threshold = tune_threshold(oof, y, target_recall)
    recall, mean_sel, exact = selection_figures(oof, y, threshold)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fit_head(x, y, seed=seed).to_onnx(out / HEAD_FILE, word_buckets)
    meta = ToolRAGMeta(skills=skills, threshold=threshold, word_buckets=word_buckets,
                       head_sha256=sha256_of(out / HEAD_FILE),
                       catalog_skills=skills, train_samples=len(commands),
                       heldout={"recall": recall, "mean_selected": mean_sel, "exact": exact, "folds": float(folds)})
    (out / META_FILE).write_text(json.dumps(meta.model_dump(), indent=2) + "\n", encoding="utf-8")
    return TrainingReport(len(commands), folds, threshold, recall, mean_sel, exact)
