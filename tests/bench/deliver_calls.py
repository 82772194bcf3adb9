#!/usr/bin/python3
"""deliver_calls.py -- how long one deliver.lua call holds Redis.

    tests/bench/deliver_calls.py [REV]     (from anywhere in the source tree)

A private redis-server (no persistence: the call's own time, not the
fsync's), deliver.lua with its prelude as the daemon loads it, 40,000
deliveries made first. Then enqueue calls of 1, 16, 64 and 100 outbox
entries (one department, and 64 over four), claims of 2 and 16 rows and
retention sweeps of 100 and 500 outbox entries, each timed by Redis
itself (SLOWLOG with a threshold of 0: the server's time, not a round
trip), 25 calls each: median and least. With REV (a git revision) that
revision's script runs too, in the same Redis under a prefix of its own,
its calls alternated with the tree's, so that the load falls on both.
BENCHMARKS.md "Intake: the long calls in Redis".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import redis

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLS = 25
BASE = 40000


def script(rev):
    def read(path):
        if rev is None:
            with open(os.path.join(TOP, path)) as f:
                return f.read()
        return subprocess.check_output(["git", "-C", TOP, "show", "%s:%s" % (rev, path)], text=True)
    return read("src/lua/prelude.lua") + read("src/lua/deliver.lua")


def timed(r, *args):
    """Run an EVALSHA; its time in Redis (us) and its answer."""
    r.slowlog_reset()
    out = r.evalsha(*args)
    return [e["duration"] for e in r.slowlog_get(16) if e["command"].startswith(b"EVALSHA")][0], out


def main():
    rev = sys.argv[1] if len(sys.argv) > 1 else None
    d = tempfile.mkdtemp()
    sock = os.path.join(d, "redis.sock")
    p = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
                          "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL)
    try:
        r = redis.Redis(unix_socket_path=sock)
        for _ in range(100):
            try:
                r.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        run(r, rev)
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def run(r, rev):
    builds = {"tree": script(None)}
    if rev:
        builds[rev] = script(rev)
    sha = {b: r.script_load(t) for b, t in builds.items()}
    prefix = {b: "b%d:" % i for i, b in enumerate(builds)}
    r.config_set("slowlog-log-slower-than", 0)
    r.config_set("slowlog-max-len", 1000)
    for b in builds:
        r.xgroup_create(prefix[b] + "outbox", "webhooks", "0", mkstream=True)

    def entries(b, n, depts):
        box = prefix[b] + "outbox"
        for i in range(n):
            r.xadd(box, {"event": "task.queued", "task": "T%d" % i,
                         "department": depts[i % len(depts)], "issue": "I%d" % i})
        got = r.xreadgroup("webhooks", "bench", {box: ">"}, count=n)[0][1]
        out = []
        for id_, f in got:
            e = {"id": id_.decode()}
            e.update({k.decode(): v.decode() for k, v in f.items()})
            out.append(e)
        return out

    def enqueue(b, n, depts=("hr",)):
        payload = json.dumps({"now": str(int(time.time() * 1000)), "entries": entries(b, n, depts)})
        return timed(r, sha[b], 1, prefix[b], prefix[b], "enqueue", payload)[0]

    def claim(b, cap):
        payload = json.dumps({"now": int(time.time() * 1000) + 10 ** 9, "lease": 6000, "cap": cap,
                              "merge": 50, "pace": {}, "busy": {}})
        return timed(r, sha[b], 1, prefix[b], prefix[b], "claim", payload)[0]

    def sweep(b, limit):
        box = prefix[b] + "outbox"
        for i in range(limit):
            r.xadd(box, {"event": "task.queued", "task": "T", "department": "hr", "issue": "I"})
        r.execute_command("XGROUP", "SETID", box, "webhooks", "$")
        payload = json.dumps({"now": int(time.time() * 1000), "before": 0, "limit": limit,
                              "owner": "bench", "lease": 60000})
        return timed(r, sha[b], 1, prefix[b], prefix[b], "sweep", payload)[0]

    for b in builds:
        while r.zcard(prefix[b] + "deliveries") < BASE:
            enqueue(b, 500)
    print("deliver_calls: %d deliveries each first; Redis's own time a call, median (least) of %d"
          % (BASE, CALLS))
    cases = [("enqueue %d entries" % n, lambda b, n=n: enqueue(b, n)) for n in (1, 16, 64, 100)]
    cases.append(("enqueue 64 entries, 4 departments",
                  lambda b: enqueue(b, 64, ("hr", "tax", "land", "env"))))
    cases += [("claim %d rows" % c, lambda b, c=c: claim(b, c)) for c in (2, 16)]
    cases += [("sweep %d outbox entries" % n, lambda b, n=n: sweep(b, n)) for n in (100, 500)]
    for name, fn in cases:
        t = {b: [] for b in builds}
        for _ in range(CALLS):
            for b in builds:
                t[b].append(fn(b))
        print("%-36s " % name + "   ".join("%s %6d us (%d)" % (b, sorted(v)[len(v) // 2], min(v))
                                          for b, v in t.items()))


if __name__ == "__main__":
    main()
