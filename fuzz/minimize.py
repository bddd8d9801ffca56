#!/usr/bin/env python3
"""Shrinks a fuzz target's corpus (scripts/fuzz --merge).

    minimize.py FUZZER SEED_DIR MERGED_DIR [MAX]

MERGED_DIR holds what libFuzzer's -merge=1 kept of the seeds and of what a
run found. libFuzzer keeps every input that adds a feature in its own order
(smallest first), which leaves hundreds; this measures each one's coverage
alone (one -merge=1 run per input, which lists the program counters it
reaches) and keeps every input that once found a bug (regress-*), then,
greedily, the input that reaches the most program counters not yet reached
(of as many, a seed written by hand, whose name is not a SHA-1, then the
smallest), until no input adds one or MAX inputs (default 60: the last
ones each add a program counter or two) are kept. SEED_DIR is rewritten
with that set."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SHA1 = re.compile(r"^[0-9a-f]{40}$")


def coverage(fuzzer, path, tmp):
    """The program counters (libFuzzer's table indices) path reaches."""
    for d in ("in", "out"):
        shutil.rmtree(os.path.join(tmp, d), ignore_errors=True)
        os.mkdir(os.path.join(tmp, d))
    shutil.copy(path, os.path.join(tmp, "in", "x"))
    control = os.path.join(tmp, "control")
    if os.path.exists(control):  # libFuzzer would resume from it
        os.remove(control)
    subprocess.run([fuzzer, "-merge=1", "-use_counters=0",
                    "-merge_control_file=" + control,
                    os.path.join(tmp, "out"), os.path.join(tmp, "in")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    pcs = set()
    if not os.path.exists(control):  # an empty input: libFuzzer skips it
        return pcs
    with open(control) as f:
        for line in f:
            if line.startswith("COV "):
                pcs.update(int(x) for x in line.split()[2:])
    return pcs


def main():
    fuzzer, seed_dir, merged_dir = sys.argv[1:4]
    most = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    fuzzer = os.path.abspath(fuzzer)
    candidates, seen = {}, set()
    for d in (seed_dir, merged_dir):  # a seed's name wins over its copy's
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not os.path.isfile(path) or name in candidates:
                continue
            content = open(path, "rb").read()
            if content not in seen:
                seen.add(content)
                candidates[name] = path
    with tempfile.TemporaryDirectory() as tmp:
        cov = {name: coverage(fuzzer, path, tmp)
               for name, path in candidates.items()}
    keep = {n for n in candidates if n.startswith("regress-")}
    reached = set().union(*(cov[n] for n in keep)) if keep else set()
    rest = sorted(n for n in candidates if n not in keep)
    gains = []
    while True:
        # the most new program counters; then a seed written by hand (it
        # reads as an example); then the smallest
        best = max(rest, key=lambda n: (len(cov[n] - reached),
                                        not SHA1.match(n),
                                        -os.path.getsize(candidates[n])),
                   default=None)
        if best is None or not cov[best] - reached or len(keep) >= most:
            break
        gains.append(len(cov[best] - reached))
        keep.add(best)
        reached |= cov[best]
        rest.remove(best)
    data = {n: open(candidates[n], "rb").read() for n in keep}
    for name in os.listdir(seed_dir):
        os.remove(os.path.join(seed_dir, name))
    for name, content in data.items():
        with open(os.path.join(seed_dir, name), "wb") as f:
            f.write(content)
    every = set().union(*cov.values())
    print("    %d inputs reach %d of the %d program counters the run reached"
          % (len(keep), len(reached), len(every)))
    if os.environ.get("AIODB_FUZZ_VERBOSE"):
        print("    new program counters of each input kept:", gains)


if __name__ == "__main__":
    main()
