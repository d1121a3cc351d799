"""Run the benchmarks in bench/ (every bench/*.py but this one), each in its own process.

Usage: python bench/run.py [NAME ...] [-- ARGS passed to each benchmark]
Exits 1 if any benchmark fails (misses its target or crashes).
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks(names=()):
    """Return the benchmark scripts, all of them or those named (without .py)."""
    found = sorted(path for path in HERE.glob("*.py") if path.name != "run.py" and not path.name.startswith("_"))
    if names:
        unknown = set(names) - {path.stem for path in found}
        if unknown:
            have = ", ".join(path.stem for path in found)
            raise SystemExit(f"No benchmark named {', '.join(sorted(unknown))}; have {have}.")
        found = [path for path in found if path.stem in names]
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names, extra = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    outcomes = []
    for script in benchmarks(names):
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *extra], cwd=HERE.parent)
        outcomes.append((script.stem, code, time.perf_counter() - started))
    print("\n== summary")
    for name, code, seconds in outcomes:
        print(f"  {name:<24} {'PASS' if code == 0 else f'FAIL (exit {code})':<16} {seconds:6.1f}s")
    print(f"  results in {HERE / 'results'}/")
    return 0 if all(code == 0 for _name, code, _seconds in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
