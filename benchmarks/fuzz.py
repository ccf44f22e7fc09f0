"""The long fuzz run: the mutator of tests/fuzz_inputs.py over many seeds.

    python benchmarks/fuzz.py --cases 2000 [--first-seed 0] [--show 20]

Prints cases tried and failed, the exit codes seen, and the failing seeds with what the
oracle said (rerun one with --first-seed SEED --cases 1). No data needed: every case
mutates a small synthetic demo scene (opencv backend).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import fuzz_inputs  # noqa: E402  tests/fuzz_inputs.py, shared with tests/test_fuzz.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=20, help="failing cases to print")
    args = parser.parse_args()
    codes: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    failed = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base = fuzz_inputs.make_base(Path(tmp) / "base")
        for seed in range(args.first_seed, args.first_seed + args.cases):
            result = fuzz_inputs.run_case(base, Path(tmp) / "case", seed)
            codes[tuple(o.code for o in result.outcomes)] += 1
            kinds[result.mutation.what.split(":")[0].split()[0]] += 1
            if result.failures:
                failed.append(result)
            done = seed - args.first_seed + 1
            if done % 100 == 0:
                print(f"{done}/{args.cases} cases, {len(failed)} failed, "
                      f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0
    print(f"cases tried: {args.cases} (seeds {args.first_seed}.."
          f"{args.first_seed + args.cases - 1}), failed: {len(failed)}, "
          f"{seconds:.0f} s ({seconds / max(args.cases, 1):.2f} s per case)")
    print("exit codes (check, run):", dict(codes.most_common()))
    print("mutated:", dict(kinds.most_common()))
    for result in failed[: args.show]:
        print(f"\nseed {result.seed}: {result.mutation.what}")
        for line in result.failures:
            print("   ", line[:600])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
