"""``agent-toolrag``: train a skill classifier for a catalog, or see what it selects.

    agent-toolrag train --catalog FILE --out DIR [--data DATA.jsonl | -n N]
    agent-toolrag select "bring the cup to Alice" [--model DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from agent_node.catalog.skills import CatalogError, load_catalog
from agent_node.datagen.toolrag_training import train_toolrag
from agent_node.files.model_files import ModelFileError
from agent_node.language.phrasebook import PhrasebookError
from agent_node.planning.toolrag import WORD_BUCKETS, ToolRAG, default_model_dir


def _training_pairs(args: argparse.Namespace, catalog) -> tuple[list[str], list[list[str]]]:
    if args.data:
        lines = Path(args.data).read_text(encoding="utf-8").splitlines()
        items = [json.loads(line) for line in lines if line.strip()]
    else:
        from agent_node.datagen.generate import generate
        from agent_node.language.phrasebook import load_phrasebook

        phrasebook = load_phrasebook(catalog, args.phrasebook)
        items = [s.model_dump() for s in generate(catalog, args.n, seed=args.seed, phrasebook=phrasebook)]
    return [i["command"] for i in items], [[t["skill"] for t in i["plan"]] for i in items]


def _train(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    t0 = time.perf_counter()
    commands, skill_sets = _training_pairs(args, catalog)
    print(f"{len(commands)} training commands ({time.perf_counter() - t0:.1f} s); encoding and training...")
    report = train_toolrag(catalog, commands, skill_sets, args.out, target_recall=args.target_recall,
                           seed=args.seed, word_buckets=args.word_buckets)
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s: threshold {report.threshold:.4g}; held-out "
          f"({report.folds}-fold) recall {report.heldout_recall:.3f}, "
          f"mean skills selected {report.heldout_mean_selected:.2f}, exact set {report.heldout_exact:.3f}")
    return 0


def _select(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog) if args.catalog else None
    rag = ToolRAG(args.model, catalog=catalog)
    t0 = time.perf_counter()
    chosen = rag.select(args.command, threshold=args.threshold)
    elapsed = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"command": args.command, "threshold": args.threshold or rag.threshold,
                          "skills": [{"skill": s.skill, "probability": round(s.probability, 4)} for s in chosen],
                          "latency_s": round(elapsed, 4)}))
    else:
        for s in chosen:
            print(f"{s.probability:6.3f}  {s.skill}")
        if not chosen:
            print("(no skill reaches the threshold: nothing the robot can do)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agent-toolrag", description="ToolRAG skill classifier.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="generate verified data for a catalog and train a classifier on it")
    tr.add_argument("--catalog", help="skill catalog YAML (default: the reference home robot)")
    tr.add_argument("--out", default=str(default_model_dir()), help="model directory to write")
    tr.add_argument("--data", help="training JSONL (command + plan per line); default: generate it")
    tr.add_argument("-n", type=int, default=4000, help="commands to generate when --data is not given")
    tr.add_argument("--phrasebook", help="phrasebook YAML for generating data (default: the reference one for "
                    "the reference catalog, else phrasings from the skill descriptions)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--word-buckets", type=int, default=WORD_BUCKETS,
                    help=f"hashed word and word-pair features beside the embedding (default {WORD_BUCKETS}; "
                         "0: the embedding alone)")
    tr.add_argument("--target-recall", type=float, default=0.995, help="held-out recall the threshold keeps")
    se = sub.add_parser("select", help="print the skills chosen for a command, with probabilities")
    se.add_argument("command")
    se.add_argument("--model", help="model directory (default: models/toolrag_home_robot)")
    se.add_argument("--catalog", help="check that the model was trained for this catalog")
    se.add_argument("--threshold", type=float, help="override the tuned threshold")
    se.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        return _train(args) if args.cmd == "train" else _select(args)
    except (CatalogError, ModelFileError, PhrasebookError, OSError, ValueError) as e:
        print(f"agent-toolrag: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
