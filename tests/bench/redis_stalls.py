#!/usr/bin/python3
"""redis_stalls.py -- what made Redis slow during a bench run.

    redis_stalls.py PORT start   (before the run: monitor from 5 ms, empty logs)
    redis_stalls.py PORT report  (after it: one line each)

Prints Redis's latency monitor (its worst fsync, fork, AOF write and
command stalls: the server's own view, CPU starvation included) and its
slow log grouped by command, a script call by its sub-command
(`EVALSHA` or `FCALL` … `submit_batch` with its reports, `deliver.lua`'s `claim`):
calls of 5 ms or more, their total and their worst. These say whether a
tail of the intake's latency is Redis's (a long script, an fsync, an AOF
rewrite) or the daemon's. And how long Redis's main thread waited for a
core (the kernel's schedstat): on a shared machine a call's time in the
slow log is mostly that wait when O(1) commands (EXISTS, SADD, run inside
the scripts) show up in it too. And how many outbox entries each read of
the webhook group took (each read is one deliver.lua enqueue).
"""
import json
import os
import re
import sys
import tempfile

import redis

THRESHOLD_MS = 5
SLOWLOG_MAX = 100000


def sched_file(r):
    return os.path.join(tempfile.gettempdir(), "redis_stalls.%d.json" %
                        r.info("server")["process_id"])


def sched(r):
    """Redis's main thread: ns on a core, ns waiting for one."""
    pid = r.info("server")["process_id"]
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        run, wait = f.read().split()[:2]
    return int(run), int(wait)


def start(r):
    with open(sched_file(r), "w") as f:
        json.dump(sched(r), f)
    r.config_set("latency-monitor-threshold", THRESHOLD_MS)
    r.execute_command("LATENCY", "RESET")
    r.config_set("slowlog-log-slower-than", THRESHOLD_MS * 1000)
    r.config_set("slowlog-max-len", SLOWLOG_MAX)
    r.slowlog_reset()


def call_name(args):
    """The command, and for a script call the sub-command after its keys."""
    words = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)
             for a in args]
    if not words:
        return "?", 0
    name = words[0].upper()
    more = 0
    m = re.match(r"\.\.\. \((\d+) more arguments\)", words[-1])
    if m:
        more = int(m.group(1))
        words = words[:-1]
    if name in ("EVALSHA", "EVAL", "FCALL") and len(words) > 3:
        try:
            nkeys = int(words[2])
        except ValueError:
            nkeys = 0
        # the first argument after the keys that reads as a name (the
        # scripts take a key prefix first)
        sub = [w for w in words[3 + nkeys:] if re.fullmatch(r"[a-z_]+", w)]
        if sub:
            name += " " + sub[0]
    return name, len(words) + more


def report(r):
    latest = r.execute_command("LATENCY", "LATEST")
    stalls = ", ".join("%s %d ms" % (e[0].decode() if isinstance(e[0], bytes)
                                     else e[0], int(e[3])) for e in latest)
    print("redis latency monitor (>= %d ms, worst each): %s" %
          (THRESHOLD_MS, stalls or "none"))
    groups = {}
    for entry in r.slowlog_get(SLOWLOG_MAX):
        args = entry.get("command", b"")
        if isinstance(args, (bytes, str)):
            args = (args.decode("utf-8", "replace")
                    if isinstance(args, bytes) else args).split(" ")
        name, argc = call_name(args)
        g = groups.setdefault(name, [0, 0.0, 0.0, 0])
        g[0] += 1
        g[1] += entry["duration"] / 1000.0
        g[2] = max(g[2], entry["duration"] / 1000.0)
        g[3] += argc
    if not groups:
        print("redis slow log (>= %d ms): none" % THRESHOLD_MS)
    for name, (n, total, worst, argc) in sorted(
            groups.items(), key=lambda kv: -kv[1][1]):
        print("redis slow log (>= %d ms): %-28s %5d calls, %8.1f ms in all, "
              "worst %6.1f ms, %5.1f arguments a call" %
              (THRESHOLD_MS, name, n, total, worst, argc / n))
    info = r.info("persistence")
    print("redis AOF rewrites during the run: %d" % info.get("aof_rewrites", 0))
    try:
        with open(sched_file(r)) as f:
            run0, wait0 = json.load(f)
        os.unlink(sched_file(r))
        run, wait = sched(r)
        print("redis main thread during the run: %.0f ms on a core, %.0f ms "
              "waiting for one" % ((run - run0) / 1e6, (wait - wait0) / 1e6))
    except (OSError, ValueError):
        print("redis main thread during the run: no schedstat")
    stats = r.info("commandstats")
    reads = stats.get("cmdstat_xreadgroup", {}).get("calls", 0) + \
        stats.get("cmdstat_xautoclaim", {}).get("calls", 0)
    got, lag = 0, "?"
    for g in r.execute_command("XINFO", "GROUPS", "bench:outbox") or []:
        g = dict(zip(g[::2], g[1::2]))
        if g.get(b"name") == b"webhooks":
            got, lag = g.get(b"entries-read") or 0, g.get(b"lag")
    print("redis outbox: %d entries read by the webhook group, %d reads "
          "(%.1f entries a read), %s not yet read at the end" %
          (got, reads, got / reads if reads else 0, lag))


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("start", "report"):
        sys.exit("usage: redis_stalls.py PORT start|report")
    r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
    (start if sys.argv[2] == "start" else report)(r)


if __name__ == "__main__":
    main()
