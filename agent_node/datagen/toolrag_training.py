"""Training a ToolRAG head (:mod:`agent_node.planning.toolrag`) on the CPU: a
one-hidden-layer head fitted by full-batch Adam on (command, skills) pairs, its
threshold tuned for recall on out-of-fold probabilities."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from agent_node.catalog.skills import Catalog
from agent_node.files.model_files import sha256_of
from agent_node.planning.encoder import SentenceEncoder
from agent_node.planning.toolrag import HEAD_FILE, META_FILE, WORD_BUCKETS, Head, ToolRAGMeta, head_features, sigmoid


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
        g = (sigmoid(h @ head.w2 + head.b2) - y) * weight / n
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
