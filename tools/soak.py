"""The world-model soak (issue 8): host_tests/test_world_model.py for a large number of checked
steps, split into seeded shards that run in parallel, one per core.

  python tools/soak.py --steps 1000000 --jobs 2      (make soak; SOAK_STEPS, SOAK_JOBS)

Shard k runs `pytest --hypothesis-seed=<seed0 + k>` with WORLD_STEPS = steps / jobs, so each
explores its own runs; its output goes to build/soak/shard-<k>.log.  Prints each shard's
"world model: N steps checked, M violations" line, then the sum, and exits 1 if any shard
failed or found a violation.  With WORLD_REPRO=DIR each shard writes the shortest console
session it found for each kind of violation to DIR/shard-<k>/.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"world model: (\d+) steps checked, (\d+) violations(.*)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=8, help="the first shard's hypothesis seed")
    args = ap.parse_args(argv)
    jobs = max(1, args.jobs)
    per = -(-args.steps // jobs)
    out = os.path.join(ROOT, "build", "soak")
    os.makedirs(out, exist_ok=True)
    procs = []
    t0 = time.time()
    for k in range(jobs):
        log = open(os.path.join(out, "shard-%d.log" % k), "w")
        env = dict(os.environ, WORLD_STEPS=str(per))
        if os.environ.get("WORLD_REPRO"):
            # each shard writes its shortest sessions apart
            env["WORLD_REPRO"] = os.path.join(os.environ["WORLD_REPRO"], "shard-%d" % k)
        cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
               "host_tests/test_world_model.py::test_world_model",
               "--hypothesis-seed=%d" % (args.seed + k)]
        procs.append((k, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT), log))
    print("soak: %d shards of %d steps (seeds %d..%d), logs in %s"
          % (jobs, per, args.seed, args.seed + jobs - 1, os.path.relpath(out, ROOT)), flush=True)
    steps = violations = 0
    ok = True
    for k, p, log in procs:
        rc = p.wait()
        log.close()
        with open(log.name) as f:
            text = f.read()
        m = LINE.search(text)
        if m is None:
            print("shard %d: no summary (exit %d); see %s" % (k, rc, log.name))
            ok = False
            continue
        print("shard %d (seed %d): %s" % (k, args.seed + k, m.group(0)))
        steps += int(m.group(1))
        violations += int(m.group(2))
        ok = ok and rc == 0
    print("world model: %d steps checked, %d violations (%d shards, %.0f s)"
          % (steps, violations, jobs, time.time() - t0))
    return 0 if ok and violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
