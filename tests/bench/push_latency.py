#!/usr/bin/python3
"""push_latency.py -- from a report's 201 to its department's webhook.

    tests/bench/push_latency.py            (from the top of a build tree)

A private redis-server (appendonly yes, appendfsync always), the webhook
sink (webhook_sink.py: records each request's arrival time) and liaisond
with the sample roster, every department's webhook pointed at the sink
(format standard). One officer posts REPORTS one-item reports, one at a
time, on topic hiring (one department, so one delivery each); after each
201 the bench waits until the sink has the delivery, then pauses a random
0-100 ms (so that a timer's phase cannot favour one build). Measured per
report: from the client reading the 201 to the sink reading the webhook
request; p50, p90, p99 and max, each round's first report (the daemon
just started) and the slowest three. Then IDLE seconds with nothing to do:
liaisond's CPU time and the Redis commands it sent (INFO commandstats).

With LIAISOND_BEFORE (another build's liaisond) both run in the same run,
alternating rounds of ROUNDS x REPORTS/ROUNDS reports against one Redis, so
that the machine's load falls on both alike: before/after.

Environment: LIAISOND, LIAISONCTL (default ./liaisond, ./liaisonctl),
LIAISOND_BEFORE, REPORTS (default 200), ROUNDS (default 4), IDLE (default
10), KEEP=1 keeps the temporary directory.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ENTERPRISE = "91340800PN4Y1KAC63"   # O001's, in the sample roster
OFFICER = "O001"
TOPIC = "hiring"


def pick(name):
    return os.path.abspath(name) if os.access(name, os.X_OK) else \
        os.path.join(TOP, name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_up(port, path="/", seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    sys.exit("bench: nothing answers on port %d" % port)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Bench:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.rport = free_port()
        self.sport = free_port()
        self.lport = free_port()
        self.log = os.path.join(tmp, "sink.log")

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def redis(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.rport)] +
                              list(args), capture_output=True, text=True,
                              check=True).stdout

    def setup(self):
        os.mkdir(os.path.join(self.tmp, "redis"))
        self.start(["redis-server", "--bind", "127.0.0.1", "--port",
                    str(self.rport), "--dir", os.path.join(self.tmp, "redis"),
                    "--appendonly", "yes", "--appendfsync", "always",
                    "--save", "", "--logfile",
                    os.path.join(self.tmp, "redis.log")])
        for _ in range(100):
            try:
                if self.redis("ping").strip() == "PONG":
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)
        self.start([sys.executable, os.path.join(HERE, "webhook_sink.py"),
                    str(self.sport), self.log])
        roster = json.load(open(os.path.join(TOP, "etc/roster.json")))
        for d in roster["departments"]:
            hook = d.setdefault("webhook", {})
            hook["url"] = "http://127.0.0.1:%d/hooks/%s" % (self.sport,
                                                           d["id"])
            hook["format"] = "standard"
        topic = [t for t in roster["topics"] if t["id"] == TOPIC][0]
        if len(topic["departments"]) != 1:
            sys.exit("bench: topic %s must have one department" % TOPIC)
        rpath = os.path.join(self.tmp, "roster.json")
        shutil.copy(os.path.join(TOP, "etc/holidays-cn.txt"), self.tmp)
        json.dump(roster, open(rpath, "w"), ensure_ascii=False)
        self.conf = os.path.join(self.tmp, "bench.conf")
        with open(self.conf, "w") as f:
            f.write("""[server]
listen = 127.0.0.1:%d
public_url = http://127.0.0.1:%d
[redis]
host = 127.0.0.1
port = %d
prefix = bench:
[roster]
file = %s
[smtp]
url = smtp://127.0.0.1:9
from = liaisond-bench@example.gov.cn
[limits]
rate_per_minute = 0
items_per_period = 0
address_per_minute = 0
[log]
level = warn
""" % (self.lport, self.lport, self.rport, rpath))
        self.token = subprocess.run(
            [LIAISONCTL, "-c", self.conf, "token", "issue", "officer",
             OFFICER], capture_output=True, text=True,
            check=True).stdout.strip()
        wait_up(self.sport, "/_sink/stats")

    def sink_requests(self):
        c = http.client.HTTPConnection("127.0.0.1", self.sport, timeout=5)
        c.request("GET", "/_sink/stats")
        return json.loads(c.getresponse().read())["requests"]

    def daemon(self, binary, name):
        out = open(os.path.join(self.tmp, "liaisond-%s.log" % name), "a")
        p = self.start([binary, "-f", "-c", self.conf], stdout=out,
                       stderr=subprocess.STDOUT)
        wait_up(self.lport, "/healthz")
        return p

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        self.procs.remove(p)

    def post(self, n, sent):
        """Post n reports; append (t_sent, t_201) to sent."""
        conn = http.client.HTTPConnection("127.0.0.1", self.lport, timeout=10)
        for _ in range(n):
            before = self.sink_requests()
            body = json.dumps({"items": [{
                "enterprise": ENTERPRISE, "topic": TOPIC,
                "title": "普工缺口 %d" % random.randrange(10 ** 9)}]},
                ensure_ascii=False).encode()
            t0 = time.time()
            conn.request("POST", "/api/v1/reports", body, {
                "Authorization": "Bearer " + self.token,
                "Content-Type": "application/json",
                "Idempotency-Key": "push-%d-%d" % (os.getpid(),
                                                   random.randrange(10 ** 12))})
            r = conn.getresponse()
            r.read()
            t1 = time.time()
            if r.status != 201:
                sys.exit("bench: a report got %d, not 201" % r.status)
            sent.append((t0, t1))
            deadline = time.time() + 10
            while self.sink_requests() <= before:
                if time.time() > deadline:
                    sys.exit("bench: no delivery within 10 s")
                time.sleep(0.002)
            time.sleep(random.uniform(0, 0.1))
        conn.close()

    def idle(self, p, seconds):
        """CPU seconds and Redis commands of an idle daemon."""
        hz = os.sysconf("SC_CLK_TCK")

        def cpu():
            f = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / hz

        def calls():
            n = {}
            for line in self.redis("info", "commandstats").splitlines():
                if line.startswith("cmdstat_"):
                    n[line.split(":")[0][8:]] = int(
                        line.split("calls=")[1].split(",")[0])
            return n
        time.sleep(1.5)     # the last delivery's tail
        c0, n0 = cpu(), calls()
        time.sleep(seconds)
        c1, n1 = cpu(), calls()
        n1["info"] -= 1     # INFO itself
        diff = {k: v - n0.get(k, 0) for k, v in n1.items()
                if v != n0.get(k, 0)}
        return c1 - c0, sum(diff.values()), diff


def arrivals(log):
    out = []
    for line in open(log):
        f = line.split()
        if len(f) >= 2 and f[1].startswith("/hooks/"):
            out.append(float(f[0]))
    return sorted(out)


def latencies(sent, arrived):
    lat = []
    for t0, t1 in sent:
        first = next((a for a in arrived if a >= t0), None)
        if first is None:
            sys.exit("bench: a delivery is missing in the sink's log")
        lat.append((first - t1) * 1000.0)
    return lat


def main():
    global LIAISOND, LIAISONCTL
    LIAISOND = os.environ.get("LIAISOND") or pick("liaisond")
    LIAISONCTL = os.environ.get("LIAISONCTL") or pick("liaisonctl")
    before = os.environ.get("LIAISOND_BEFORE")
    reports = int(os.environ.get("REPORTS", "200"))
    rounds = int(os.environ.get("ROUNDS", "4"))
    idle_s = float(os.environ.get("IDLE", "10"))
    builds = [("after", LIAISOND)]
    if before:
        builds.insert(0, ("before", before))
    tmp = tempfile.mkdtemp(prefix="liaisond-push.")
    b = Bench(tmp)
    try:
        b.setup()
        print("bench: %d cores, load %s, %s" % (
            os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        sent = {name: [] for name, _ in builds}
        idle = {}
        for r in range(rounds):
            for name, binary in builds:
                p = b.daemon(binary, name)
                b.post(max(1, reports // rounds), sent[name])
                if r == rounds - 1:
                    idle[name] = b.idle(p, idle_s)
                b.stop(p)
        time.sleep(0.3)     # the sink flushes its log every 0.2 s
        for proc in b.procs:
            if proc.args[1:2] == [os.path.join(HERE, "webhook_sink.py")]:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
        arrived = arrivals(b.log)
        print("%-7s %7s %8s %8s %8s %8s   %s" % (
            "build", "reports", "p50 ms", "p90 ms", "p99 ms", "max ms",
            "idle %ds: CPU s, Redis calls" % idle_s))
        for name, _ in builds:
            lat = latencies(sent[name], arrived)
            print("%-7s %7d %8.1f %8.1f %8.1f %8.1f   %.2f s, %d" % (
                name, len(lat), pct(lat, 50), pct(lat, 90), pct(lat, 99),
                max(lat), idle[name][0], idle[name][1]))
        per_round = max(1, reports // rounds)
        for name, _ in builds:
            lat = latencies(sent[name], arrived)
            firsts = lat[::per_round]
            print("%s: each round's first report (the daemon just started): "
                  "%s ms; the slowest: %s" % (name, " ".join(
                      "%.1f" % x for x in firsts), " ".join(
                      "#%d %.1f ms" % (i, x) for x, i in sorted(
                          ((x, i) for i, x in enumerate(lat)),
                          reverse=True)[:3])))
        for name, _ in builds:
            print("idle Redis calls, %s: %s" % (name, " ".join(
                "%s=%d" % kv for kv in sorted(idle[name][2].items()))))
        print("bench: load %s at the end" %
              " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        for p in b.procs:
            p.terminate()
        for p in b.procs:
            p.wait(timeout=30)
        if os.environ.get("KEEP") == "1":
            print("bench: kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
