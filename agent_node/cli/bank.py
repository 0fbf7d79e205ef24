"""``python -m agent_node.cli.bank build``: build the planner's example bank."""

from __future__ import annotations

import argparse

from agent_node.catalog.skills import load_catalog
from agent_node.datagen.bank import build_bank
from agent_node.planning.encoder import SentenceEncoder
from agent_node.planning.example_bank import default_bank_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m agent_node.cli.bank")
    ap.add_argument("action", choices=["build"])
    ap.add_argument("--catalog")
    ap.add_argument("--out", default=str(default_bank_dir()))
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    bank = build_bank(load_catalog(args.catalog), args.n, SentenceEncoder(threads=2), seed=args.seed)
    bank.save(args.out)
    print(f"wrote {len(bank)} examples to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
