#!/usr/bin/python3
"""store_ceiling.py -- the intake's ceiling on this machine: the daemon's own
workflow script driven straight at Redis, no daemon.

    store_ceiling.py PORT MONITOR CONNECTIONS REQUESTS [PIPELINE [BATCH]]

MONITOR is `redis-cli monitor` output taken while liaisond stored one
report: the EVALSHA of its `submit_batch` of that one report (script, the
generation's constants, payload, body hash, key, ttl) is replayed as the
daemon sent it (an older daemon's single payload, as `submit`) by
redis-benchmark from CONNECTIONS clients (PIPELINE commands in
flight each, default 1), REQUESTS times, each with an Idempotency-Key of its
own (`__rand_int__`), so that every call stores a new report as a 201 does.
BATCH (default 1) reports go in each call, as a group commit of that many
sends them (rps is then calls per second). Prints one line: "rps p50_ms
p99_ms stored" (stored: how many new reports the store numbered meanwhile,
REQUESTS times BATCH). LUA in the environment: the scripts' folder (default
this tree's src/lua), to drive another tree's scripts. Where that folder's
workflow.lua can be a Redis Function (it ends in "return main()") it is
loaded as the daemon loads it (src/lua/library.sh, FUNCTION LOAD) and
called with FCALL, else with EVALSHA; EVAL=1 in the environment: EVALSHA
always (the same script, its top level run every call).
"""
import hashlib
import os
import re
import subprocess
import sys

LUA = os.environ.get("LUA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "lua")

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b",
           '"': b'"', "\\": b"\\"}


def unquote(text):
    """One argument of MONITOR's output (sdscatrepr) back to its bytes."""
    out, i = bytearray(), 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif text[i + 1] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += ESCAPES[text[i + 1]]
            i += 2
    return bytes(out)


def submit_call(path):
    """The arguments of the first EVALSHA ... submit in the MONITOR file,
    and the place of its Idempotency-Key."""
    with open(path, encoding="latin-1") as f:
        for line in f:
            args = [unquote(a) for a in
                    re.findall(r'"((?:[^"\\]|\\.)*)"', line)]
            # EVALSHA sha numkeys key... prefix action payload hash key ttl
            # (or FCALL name ...). The probe is alone in its group commit
            # (submit_batch): its arguments are those of one submit.
            if len(args) < 3 or args[0] not in (b"EVALSHA", b"FCALL") or \
                    not args[2].isdigit():
                continue
            at = 4 + int(args[2])
            if len(args) == at + 6 and args[at] == b"submit_batch":
                return args, at + 4
            if len(args) == at + 5 and \
                    args[at] in (b"submit", b"submit_batch"):
                args[at] = b"submit"
                return args, at + 3
    sys.exit("store_ceiling: no submit call in " + path)


def reports(port):
    """How many reports the store has numbered (the sample's prefix)."""
    out = subprocess.run(["redis-cli", "-p", port, "hget", "bench:seq",
                          "report"], check=True, capture_output=True)
    return int(out.stdout.strip() or 0)


def load(port):
    """The workflow script loaded as the daemon loads it: the verb and the
    script's name (FCALL and its Function's, or EVALSHA and its sha).
    Loaded only when not there yet: a second run (store_cost's measured
    one) does not count compiling it."""
    prelude, workflow = (os.path.join(LUA, f)
                         for f in ("prelude.lua", "workflow.lua"))
    with open(workflow, "rb") as f:
        function = f.read().rstrip(b"\n").endswith(b"\nreturn main()")
    if function and os.environ.get("EVAL") != "1":
        library = [os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "src", "lua", "library.sh")]
        files = [prelude, workflow]
        name = cli(port, ["sh"] + library + ["-n"] + files, False)
        if cli(port, ["function", "list", "libraryname", name]):
            return b"FCALL", name
        text = cli(port, ["sh"] + library + files, False)
        out = cli(port, ["-x", "function", "load"], text)
        if out != name:
            sys.exit("store_ceiling: FUNCTION LOAD: " + out.decode())
        return b"FCALL", out
    # The script as embed.sh gives it to the daemon: the prelude, then it.
    body = b"".join(open(f, "rb").read() for f in (prelude, workflow))
    sha = hashlib.sha1(body).hexdigest().encode()
    if cli(port, ["script", "exists", sha]) == b"1":
        return b"EVALSHA", sha
    return b"EVALSHA", cli(port, ["-x", "script", "load"], body)


def cli(port, args, stdin=None):
    """redis-cli's answer to args (or, stdin False, a command's output)."""
    cmd = args if stdin is False else ["redis-cli", "-p", port] + args
    return subprocess.run(cmd, input=stdin or None, check=True,
                          capture_output=True).stdout.strip()


def main():
    port, monitor, conns, requests = sys.argv[1:5]
    pipeline = sys.argv[5] if len(sys.argv) > 5 else "1"
    batch = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    args, key_at = submit_call(monitor)
    # A new report every call: two random numbers below 2^31 each.
    args[key_at] = b"ceiling-__rand_int__-__rand_int__"
    if batch > 1:
        # submit_batch: the report's four arguments (payload, hash, key,
        # ttl) batch times; each key gets random numbers of its own.
        at = key_at - 2
        if args[at - 1] == b"submit":       # an older daemon's single call
            args[at - 1] = b"submit_batch"
        args = args[:at] + args[at:at + 4] * batch + args[at + 4:]
    args[0], args[1] = load(port)
    before = reports(port)
    out = subprocess.run(
        ["redis-benchmark", "-p", port, "-c", conns, "-n", requests,
         "-P", pipeline, "-r", "2000000000", "--csv"] + args,
        check=True, stdout=subprocess.PIPE).stdout.decode()
    # The last line ends in rps, avg, min, p50, p95, p99, max; its first
    # field (the command, quotes and all) is not valid CSV.
    row = [f.strip('"') for f in out.strip().splitlines()[-1].split(",")]
    rps, p50, p99 = row[-7], row[-4], row[-2]
    print("%.0f %s %s %d" % (float(rps), p50, p99, reports(port) - before))


if __name__ == "__main__":
    main()
