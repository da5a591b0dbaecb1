"""The soak's work counted in CPU instructions (valgrind), per process and simulated minute: a
figure that does not change with what else the machine is doing.

    python bench/soak_instructions.py [--short 30s] [--long 2m] [--seed 1] [--tree PATH]

The shared machines here change speed by 20 % and more within minutes, so two versions' CPU
seconds compare only over many alternating runs; their instruction counts barely change from run
to run (the same code, inputs and environment; Python's string hashing is seeded the same here,
``PYTHONHASHSEED=0``, so dicts and sets iterate alike). This runs ``bench/soak_24h.py`` (the
default mix, a healthy phone) under ``valgrind --tool=callgrind`` twice, for ``--short`` and
``--long`` simulated time, side by side (valgrind's counts do not depend on the load), and
prints each process's instructions (the runner, the twin's copy, the document writer) and their
difference between the two runs per simulated minute: the soak's own work, without the start-up.
With ``--tree`` it measures another checkout (its ``src`` and ``bench``; make one with ``git
worktree add /tmp/old REV``) with this checkout's environment. Valgrind runs Python ~40x slower:
the defaults take ~4 minutes on 2 cores. Needs valgrind (Debian: ``apt install valgrind``). The
last line is the figure to compare.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROLES = ("runner", "copy", "writer")


def _run(tree: Path, duration: str, seed: int, out: Path) -> subprocess.Popen:
    """Start ``soak_24h.py`` of ``tree`` under callgrind (its files in ``out``)."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p",
           sys.executable, str(tree / "bench" / "soak_24h.py"), "--duration", duration,
           "--seed", str(seed)]
    return subprocess.Popen(cmd, env=env, cwd=out, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _counts(proc: subprocess.Popen, label: str) -> tuple[float, dict[str, int]]:
    """The run's simulated seconds and each process's instructions, when it has ended."""
    stdout, stderr = proc.communicate()
    sim = re.search(r"^simulated (\d+) s", stdout, re.M)
    pids = re.search(r"^processes: runner (\d+) copy (\d+|None) writer (\d+|None)", stdout, re.M)
    if proc.returncode != 0 or sim is None or pids is None:
        sys.exit(f"the {label} run failed (exit {proc.returncode}):\n{stdout[-2000:]}\n"
                 f"{stderr[-2000:]}")
    collected = {int(pid): int(n) for pid, n in
                 re.findall(r"^==(\d+)== Collected : (\d+)", stderr, re.M)}
    by_role = {role: collected.get(int(pid), 0) if pid.isdigit() else 0
               for role, pid in zip(ROLES, pids.groups(), strict=True)}
    return float(sim.group(1)), by_role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", default="30s")
    parser.add_argument("--long", default="2m")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt install valgrind)")
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        try:
            for label, duration in (("short", args.short), ("long", args.long)):
                out = Path(tmp) / label
                out.mkdir()
                runs[label] = _run(tree, duration, args.seed, out)
            (sim0, short), (sim1, long) = (_counts(runs[k], k) for k in ("short", "long"))
        finally:  # (one run failed: do not leave the other running)
            for proc in runs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    for label, sim, counts in (("short", sim0, short), ("long", sim1, long)):
        print(f"{label}: {sim:.0f} simulated s; " + ", ".join(
            f"{role} {counts[role] / 1e9:.2f} G instructions" for role in ROLES))
    minutes = (sim1 - sim0) / 60
    if minutes <= 0:
        sys.exit("--long must simulate more than --short")
    per = {role: (long[role] - short[role]) / minutes / 1e9 for role in ROLES}
    print(f"tree {tree}")
    print("G instructions per simulated minute (long minus short): " + ", ".join(
        f"{role} {per[role]:.3f}" for role in ROLES)
        + f"; runner and copy {per['runner'] + per['copy']:.3f}")


if __name__ == "__main__":
    main()
