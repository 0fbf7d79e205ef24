"""The planner's example bank: verified synthetic commands with their plans, retrieved by meaning.

Built offline from the data generator (:func:`agent_node.datagen.bank.build_bank`,
never from an evaluation set), embedded with the
ToolRAG encoder by the commands' keys (names and places said one way, see
:mod:`agent_node.language.command_keys`), so that retrieval meets a command's plan shape
rather than its names; stored as ``bank.jsonl`` (command + plan text per line) and
``embeddings.npy`` (float16, unit rows) with a ``bank.json`` recording sha256s.

Examples have shapes (the skills a plan calls, in order, and the results each call
cites). A few examples of each common shape, chosen to be like all the others,
stand in for the rest at retrieval: the nearest example's shape decides, and its
most similar stand-in is shown. The planner stores the stand-ins' KV cells
(:mod:`agent_node.planning.prompt_states`), so showing one costs no evaluation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from agent_node.files.model_files import ModelFileError, sha256_of, verify_file
from agent_node.files.paths import share_dir

BANK_FILE, EMBEDDINGS_FILE, META_FILE = "bank.jsonl", "embeddings.npy", "bank.json"
#: Stand-ins kept of each plan shape, and how often a shape must occur to have them.
STAND_INS, STAND_IN_MIN_COUNT = 2, 3


def default_bank_dir() -> Path:
    return share_dir() / "models" / "example_bank_home_robot"


class ExampleBank:
    def __init__(self, commands: list[str], plans: list[str], embeddings: np.ndarray):
        if not (len(commands) == len(plans) == len(embeddings)):
            raise ValueError("commands, plans and embeddings must have the same length")
        self.commands = commands
        self.plans = plans
        self.embeddings = embeddings.astype(np.float32)
        self.shapes = [plan_shape(p) for p in plans]

    def __len__(self) -> int:
        return len(self.commands)

    def retrieve(self, embedding: np.ndarray, k: int = 4,
                 stand_ins: Mapping[str, list[int]] | None = None) -> list[tuple[str, str]]:
        """The k most similar examples, least similar first (the closest sits next to
        the command). With ``stand_ins`` (see :meth:`stand_ins`) each is replaced by the
        most similar stand-in of its shape, where its shape has them."""
        if not len(self) or k <= 0:
            return []
        sims = self.embeddings @ embedding.astype(np.float32)
        top = [int(i) for i in np.argsort(-sims)[:k]]
        if stand_ins:
            top = list(dict.fromkeys(max(stand_ins.get(self.shapes[i], [i]), key=lambda j: sims[j]) for i in top))
        return [(self.commands[i], self.plans[i]) for i in reversed(top)]

    def stand_ins(self, per_shape: int = STAND_INS, min_count: int = STAND_IN_MIN_COUNT) -> dict[str, list[int]]:
        """For each plan shape of at least ``min_count`` examples, the ``per_shape`` of
        them most like all of its examples together (greedy facility location on the
        embeddings: each next one adds the most similarity to its nearest chosen one).
        Deterministic."""
        groups: dict[str, list[int]] = {}
        for i, shape in enumerate(self.shapes):
            groups.setdefault(shape, []).append(i)
        chosen = {}
        for shape, members in groups.items():
            if len(members) < min_count or per_shape <= 0:
                continue
            emb = self.embeddings[members]
            sims = emb @ emb.T
            best = np.full(len(members), -1.0, dtype=np.float32)
            picked: list[int] = []
            for _ in range(min(per_shape, len(members))):
                gain = np.maximum(sims - best[:, None], 0).sum(axis=0)
                gain[picked] = -1.0
                picked.append(int(np.argmax(gain)))
                best = np.maximum(best, sims[:, picked[-1]])
            chosen[shape] = [members[j] for j in picked]
        return chosen

    def representative(self, n: int, max_tasks: int = 5, max_chars: int = 90) -> list[tuple[str, str]]:
        """Up to ``n`` short examples that together show every skill, every way one
        skill's result feeds another (each producer, each consumer), a decline and independent calls side by side:
        greedy cover by new features per call, shortest first on ties. Deterministic."""
        pool = [(c, p, _features(p)) for c, p in zip(self.commands, self.plans)
                if len(c) <= max_chars and p.count("\n") <= max_tasks]
        pool.sort(key=lambda item: (len(item[0]) + len(item[1]), item[0]))
        chosen: list[tuple[str, str]] = []
        seen: set[str] = set()
        while len(chosen) < n:
            best = max(pool, key=lambda item: len(item[2] - seen) / (1 + item[1].count("\n")), default=None)
            if best is None or not best[2] - seen:
                break
            chosen.append((best[0], best[1]))
            seen |= best[2]
            pool.remove(best)
        return chosen

    def save(self, out_dir: str | Path) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / BANK_FILE).write_text("".join(json.dumps({"command": c, "plan": p}) + "\n"
                                             for c, p in zip(self.commands, self.plans)), encoding="utf-8")
        np.save(out / EMBEDDINGS_FILE, self.embeddings.astype(np.float16))
        meta = {"examples": len(self), "sha256": {f: sha256_of(out / f) for f in (BANK_FILE, EMBEDDINGS_FILE)}}
        (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, bank_dir: str | Path | None = None) -> "ExampleBank":
        d = Path(bank_dir) if bank_dir else default_bank_dir()
        try:
            meta = json.loads((d / META_FILE).read_text(encoding="utf-8"))
            for name, sha in meta["sha256"].items():
                verify_file(d / name, sha)
            rows = [json.loads(line) for line in (d / BANK_FILE).read_text(encoding="utf-8").splitlines() if line]
            embeddings = np.load(d / EMBEDDINGS_FILE)
            return cls([r["command"] for r in rows], [r["plan"] for r in rows], embeddings)
        except OSError:
            raise ModelFileError(f"no example bank at {d}; build one with "
                                 "`python -m agent_node.cli.bank build`") from None
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"example bank {d} is corrupt: {e}") from None


def plan_shape(plan_text: str) -> str:
    """A plan with each call's arguments replaced by the results it cites:
    ``1. find_person()\n2. navigate_to($1)\n3. join()``."""
    return re.sub(r"\((.*)\)", lambda m: "(" + ",".join(sorted(set(re.findall(r"\$\d+", m.group(1))))) + ")",
                  plan_text)


def _features(plan_text: str) -> set[str]:
    """What a plan shows: its skills, ``producer>consumer`` for each ``$N`` it
    passes on, ``decline`` for an empty plan, ``parallel`` when no call needs another."""
    calls = re.findall(r"^(\d+)\. (\w+)\((.*)\)$", plan_text, flags=re.M)
    skills = {num: skill for num, skill, _ in calls if skill != "join"}
    if not skills:
        return {"decline"}
    out = set(skills.values())
    for _, skill, args in calls:
        for ref in re.findall(r"\$(\d+)", args):
            if ref in skills:
                out |= {f"{skills[ref]}>", f">{skill}"}
    if len(skills) > 1 and "$" not in plan_text:
        out.add("parallel")
    return out
