"""Run every benchmark and print their figures: `make bench`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["accuracy.py", "--n", "200"],
    ["accuracy.py", "--n", "200", "--formats"],
    ["generic_cara.py"],
    ["speed.py", "--hours", "1", "--rate", "100"],
]

if __name__ == "__main__":
    status = 0
    for args in RUNS:
        print(f"\n$ python benchmarks/{' '.join(args)}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]])
    sys.exit(status)
