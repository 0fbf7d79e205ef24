"""``agent-datagen --out DATA.jsonl -n N``: write verified synthetic samples."""


from __future__ import annotations

import argparse
import sys

from agent_node.catalog.skills import CatalogError, load_catalog
from agent_node.datagen.generate import format_report, generate_report
from agent_node.datagen.samples import write_jsonl
from agent_node.language.phrasebook import (
    PhrasebookError,
    load_phrasebook,
)


def main(argv: list[str] | None = None) -> int:
    """``agent-datagen --out DATA.jsonl -n N``: write verified synthetic samples."""
    ap = argparse.ArgumentParser(prog="agent-datagen", description="Generate verified synthetic commands and plans.")
    ap.add_argument("--catalog", metavar="FILE", help="skill catalog YAML (default: the reference home robot)")
    ap.add_argument("--out", required=True, metavar="FILE", help="JSONL file to write")
    ap.add_argument("-n", type=int, default=1000, help="number of samples (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--phrasebook", metavar="FILE", help="phrasebook YAML (default: the reference one for "
                    "the reference catalog, else generic phrasings)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("-n must be at least 1")
    try:
        catalog = load_catalog(args.catalog)
        pb = load_phrasebook(catalog, args.phrasebook)
    except (CatalogError, PhrasebookError) as e:
        print(f"agent-datagen: {e}", file=sys.stderr)
        return 2
    report = generate_report(catalog, args.n, args.seed, pb)
    write_jsonl(report.samples, args.out)
    print(format_report(report, args.n))
    print(f"wrote {args.out}")
    return 0 if len(report.samples) == args.n else 1




if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
