"""Losing the Redis primary loses nothing acknowledged (issue 14, SPEC 13).

One primary and two replicas (appendfsync always), three Sentinels that
promote a replica one second after the primary stops answering, and two
daemons that find the primary through the Sentinels and WAIT for one
replica behind every change. A burst of reports goes to both daemons while
the primary is killed with SIGKILL: afterwards every report that got a 201
is on the new primary, exactly once; claims go on with no task handed out
twice; every webhook event is delivered, a repeat with the same webhook-id.
"""

import http.server
import json
import os
import random
import threading
import time

import pytest

import flow
import lib

MASTER = "liaisond"
OFFICERS = ["O001", "O002", "O003", "O004", "O005", "O006"]


class RecordingSink:
    """Every POST recorded (headers, JSON body); always 200."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.received.append(({k.lower(): v for k, v in self.headers.items()},
                                          json.loads(body)))
                out = b'{"errcode":0,"code":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.server = lib.serve_http(H)
        self.port = self.server.server_address[1]

    def snapshot(self):
        with self.lock:
            return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def replicas_online(r, n):
    info = r.info("replication")
    online = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
              and v.get("state") == "online"]
    return info.get("role") == "master" and len(online) >= n


def replica_caught_up(primary, replica):
    """The replica's own view: its link is up, its initial sync loaded, and
    it has processed what the primary had written when asked. (The
    primary lists a replica "online" once the RDB is sent, while the replica
    may still be loading it: a WAIT then falls short.)"""
    want = primary.info("replication")["master_repl_offset"]
    info = replica.info("replication")
    return (info.get("master_link_status") == "up" and info.get("master_sync_in_progress") == 0
            and replica.info("persistence").get("loading") == 0
            and info.get("slave_repl_offset", -1) >= want)


def sentinel_ready(s, nreplicas, nsentinels):
    return (len(s.execute_command("SENTINEL", "REPLICAS", MASTER)) >= nreplicas
            and len(s.execute_command("SENTINEL", "SENTINELS", MASTER)) >= nsentinels)


def sentinel_primary(s):
    host, port = s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
    return "%s:%s" % (host.decode(), port.decode())


class Cluster:
    """The machines of the test, closed in reverse order of starting."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.sink = RecordingSink()
        self.servers = []
        self.daemons = []

    def start_redis(self):
        self.primary = lib.RedisServer(self.tmp, name="primary").start()
        self.servers.append(self.primary)
        self.replicas = []
        for i in range(2):
            rep = lib.RedisServer(self.tmp, name="replica%d" % i,
                                  extra=["--replicaof", "127.0.0.1", str(self.primary.port)])
            self.servers.append(rep)
            self.replicas.append(rep.start())
        pr = self.primary.client()
        lib.wait_for(lambda: replicas_online(pr, 2), 20, what="two replicas online")
        self.sentinels = []
        for i in range(3):
            s = lib.RedisSentinel(self.tmp, "sentinel%d" % i, MASTER, self.primary.port)
            self.servers.append(s)
            self.sentinels.append(s.start())
        for s in self.sentinels:
            c = s.client()
            lib.wait_for(lambda: sentinel_ready(c, 2, 2), 30, what="Sentinels know each other")

    def start_daemons(self):
        conf = {"redis": {"sentinels": ",".join("127.0.0.1:%d" % s.port for s in self.sentinels),
                          "master": MASTER, "replicas": 1, "wait_ms": 500},
                "webhooks": {"schedule": "0,1,1,1,1,1,1,1"},
                "digest": {"time": "00:00"}}    # last week's digest is due at once
        # as if the schedule had run long ago: a first start mails no past week
        # (digest.lua's digest:since), and this test wants last week's built
        self.primary.client().set(lib.PREFIX + "digest:since", 0)
        for i in range(2):
            d = lib.Daemon(os.path.join(self.tmp, "d%d" % i), self.primary.port,
                           sink_port=self.sink.port, conf=conf)
            self.daemons.append(d)
            d.start()

    def close(self):
        problem = lib.stop_daemons(self.daemons)
        for s in reversed(self.servers):
            s.stop()
        self.sink.close()
        return problem


@pytest.fixture
def machines(tmp_path):
    c = Cluster(tmp_path)
    try:
        c.start_redis()
        c.start_daemons()
        yield c
    finally:
        problem = c.close()
    if problem:
        raise problem


class Reporter(threading.Thread):
    """Submits one-item reports as one officer, alternating the daemons; each
    is sent again with the same Idempotency-Key until it gets its 201."""

    def __init__(self, ports, token, officer, stop, out, errors, seed):
        super().__init__(daemon=True)
        self.ports, self.token, self.officer = ports, token, officer
        self.stop, self.out, self.errors = stop, out, errors
        self.rng = random.Random(seed)

    def run(self):
        n = 0
        while not self.stop.is_set():
            key = "%s-%d-%s" % (self.officer["id"], n, lib.new_key())
            ent = self.officer["enterprises"][n % len(self.officer["enterprises"])]
            body = {"items": [lib.item(ent, topic="hiring", rng=self.rng)]}
            first, tries, deadline = time.monotonic(), 0, lib.Deadline(40)
            while True:
                port = self.ports[(n + tries) % len(self.ports)]
                tries += 1
                try:
                    resp = lib.request(port, "POST", "/api/v1/reports", body=body, token=self.token,
                                       headers={"Idempotency-Key": key}, timeout=5)
                except OSError:
                    resp = None
                if resp is not None and resp.status == 201:
                    self.out.append({"key": key, "title": body["items"][0]["title"], "first": first,
                                     "at": time.monotonic(), "doc": resp.json(),
                                     "replayed": resp.header("idempotent-replayed") == "true"})
                    break
                if resp is not None and resp.status != 503:
                    self.errors.append("%s: %r" % (key, resp))
                    return
                if deadline.expired():
                    self.errors.append("%s: no 201 in 40 s (last %r)" % (key, resp))
                    return
                time.sleep(0.05)
            n += 1


class Claimer(threading.Thread):
    """Claims hr tasks through both daemons in turn; records each 200."""

    def __init__(self, ports, token, name, stop, out, errors):
        super().__init__(daemon=True)
        self.ports, self.token, self.name = ports, token, name
        self.stop, self.out, self.errors = stop, out, errors

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                resp = lib.request(self.ports[i % 2], "POST", "/api/v1/departments/hr/claim",
                                   body={"claimant": self.name}, token=self.token, timeout=5)
            except OSError:
                time.sleep(0.05)
                continue
            if resp.status == 200:
                self.out.append(resp.json()["id"])
            elif resp.status == 204:
                time.sleep(0.05)
            elif resp.status != 503:
                self.errors.append("claim: %r" % resp)
                return


def burst(ports, tokens, officers, hr):
    """A Reporter per officer (tokens: theirs by id) and two Claimers with
    the hr token, started, through the daemons on ports. Returns the
    reporters' and the claimers' stop events, the records (done, claimed,
    errors) and the threads, reporters first."""
    stop_reports, stop_claims = threading.Event(), threading.Event()
    done, claimed, errors = [], [], []
    threads = [Reporter(ports, tokens[o["id"]], o, stop_reports, done, errors, i)
               for i, o in enumerate(officers)]
    threads += [Claimer(ports, hr, "甲%d" % i, stop_claims, claimed, errors) for i in range(2)]
    for t in threads:
        t.start()
    return stop_reports, stop_claims, done, claimed, errors, threads


def health(d):
    return lib.request(d.port, "GET", "/healthz", timeout=2).json()


def test_failover_loses_nothing_acknowledged(machines):
    m = machines
    ports = [d.port for d in m.daemons]
    old = "127.0.0.1:%d" % m.primary.port
    for d in m.daemons:
        h = health(d)
        assert h["redis"] == {"primary": old, "sentinel": True, "failovers": 0, "replicas": 1}, h
    roster = m.daemons[0].roster
    officers = [next(o for o in roster["officers"] if o["id"] == oid) for oid in OFFICERS]
    # the digest thread finds the primary through the Sentinels too
    week = lib.last_week()
    lib.wait_for(lambda: m.primary.client().hget(lib.PREFIX + "digest:" + week, "state")
                 in (b"sending", b"done"), 20, what="last week's digest built")
    # and so does liaisonctl
    tokens = {o["id"]: m.daemons[0].token("officer", o["id"]) for o in officers}
    hr = m.daemons[1].token("department", "hr")

    stop_reports, stop_claims, done, claimed, errors, threads = burst(ports, tokens, officers, hr)
    lib.wait_for(lambda: len(done) >= 30, 20, what="reports before the kill")

    ctl_conf = lib.ctl_conf(m.daemons[0], "ctl-wait", 60000)
    killed = time.monotonic()
    m.primary.kill()
    # liaisonctl meanwhile waits for the primary the Sentinels promote
    ctl = {}
    ctl_thread = threading.Thread(target=lambda: ctl.update(p=lib.liaisonctl(
        "-c", ctl_conf, "token", "issue", "admin", "ctl-wait", check=False), at=time.monotonic()))
    ctl_thread.start()
    lib.wait_for(lambda: any(x["first"] > killed for x in done), 40, interval=0.02,
                 what="a 201 for a report sent after the kill")
    first_after = min(x["at"] for x in done if x["first"] > killed)
    new = sentinel_primary(m.sentinels[0].client())
    assert new != old
    ctl_thread.join(40)
    assert ctl["p"].returncode == 0, ctl["p"].stderr
    nr = next(s for s in m.replicas if s.port == int(new.rsplit(":", 1)[1])).client()
    assert nr.hget(lib.PREFIX + "token:" + lib.token_sha(ctl["p"].stdout.strip()), "role") == b"admin"
    for d in m.daemons:
        lib.wait_for(lambda: health(d).get("redis", {}).get("primary") == new, 15,
                     what="daemon on " + new)
        assert health(d)["redis"]["failovers"] == 1
        metrics = d.metrics()
        assert lib.metric(metrics, "liaisond_redis_failovers_total") == 1
        assert lib.metric(metrics, "liaisond_redis_primary", address=new) == 1
    n_after = len(done)
    lib.wait_for(lambda: len(done) >= n_after + 30, 20, what="reports after the failover")
    stop_reports.set()
    for t in threads[:len(officers)]:
        t.join(60)
    assert not errors, errors[:10]
    print("\nfailover: %d reports acknowledged; from SIGKILL to the first 201 on the new "
          "primary %.2f s; liaisonctl, run at the kill, wrote on it after %.2f s"
          % (len(done), first_after - killed, ctl["at"] - killed))

    # every acknowledged report is on the new primary, exactly once
    titles = {}
    for iid in lib.issue_keys(nr):
        t = nr.hget(lib.PREFIX + "issue:" + iid, "title").decode()
        titles[t] = titles.get(t, 0) + 1
    for x in done:
        rid = x["doc"]["report"]
        assert nr.hget(lib.PREFIX + "report:" + rid, "officer") is not None, x
        assert titles.get(x["title"]) == 1, (x, titles.get(x["title"]))
    assert len({x["doc"]["report"] for x in done}) == len(done)

    # claims go on through both daemons until the queue is empty
    tasks = flow.acked_tasks(done)
    flow.claims_drain(ports[0], hr, stop_claims, threads[len(officers):], claimed, errors, tasks, nr)

    # every event delivered; a repeat carries the same webhook-id
    flow.delivered_once(m.sink, tasks)
    # each attempt timed, by department (the latency histogram of /metrics),
    # once the daemon has read the answer the sink has already recorded
    def timed():
        hs = [lib.histogram(d.metrics(), "liaisond_webhook_attempt_seconds", department="hr")
              for d in m.daemons]
        return sum(h[0] for h in hs if h) >= len(tasks)
    lib.wait_for(timed, 10, what="every webhook attempt timed")

    # a switch the Sentinels make while the primary lives (it turns replica,
    # refusing writes with READONLY): both daemons follow it too
    m.sentinels[1].client().execute_command("SENTINEL", "FAILOVER", MASTER)
    lib.wait_for(lambda: sentinel_primary(m.sentinels[0].client()) not in (old, new), 20,
                 what="the Sentinels' second failover")
    third = sentinel_primary(m.sentinels[0].client())
    stop_reports.clear()
    done2 = []
    threads = [Reporter(ports, tokens[o["id"]], o, stop_reports, done2, errors, 100 + i)
               for i, o in enumerate(officers[:2])]
    for t in threads:
        t.start()
    for d in m.daemons:
        lib.wait_for(lambda: health(d).get("redis") == {"primary": third, "sentinel": True, "failovers": 2,
                                                    "replicas": 1}, 15, what="daemon on " + third)
    lib.wait_for(lambda: len(done2) >= 10, 20, what="reports on the third primary")
    stop_reports.set()
    for t in threads:
        t.join(60)
    assert not errors, errors[:10]
    tr = next(s for s in m.servers if s.port == int(third.rsplit(":", 1)[1])).client()
    for x in done + done2:
        assert tr.hget(lib.PREFIX + "report:" + x["doc"]["report"], "officer") is not None, x


def test_too_few_replicas_is_503_and_the_retry_returns_the_first_answer(tmp_path):
    """replicas = 1 with no replica: the change is made but not acknowledged
    (503, Retry-After); once a replica holds it, the same Idempotency-Key
    returns the first answer, and the report is stored once."""
    with lib.Stack(str(tmp_path), conf={"redis": {"replicas": 1, "wait_ms": 300}}) as st:
        oid = "O001"
        ent = st.officer(oid)["enterprises"][0]
        body = {"items": [lib.item(ent)]}
        tok = st.token("officer", oid)
        key = lib.new_key()
        # Counted from before each post: a timer's own change (the daily
        # trend pass, the sweeper) may fall short too while there is no replica.
        shorts = lib.metric(st.d.metrics(), "liaisond_redis_wait_short_total")
        first = st.d.post("/api/v1/reports", body, token=tok, headers={"Idempotency-Key": key})
        lib.assert_error(first, 503, "unavailable")
        assert first.header("retry-after") == "1"
        assert lib.metric(st.d.metrics(), "liaisond_redis_wait_short_total") == shorts + 1
        assert len(lib.report_keys(st.r)) == 1      # made, not yet safe
        replica = lib.RedisServer(str(tmp_path), name="replica",
                                  extra=["--replicaof", "127.0.0.1", str(st.redis.port)])
        try:
            replica.start()
            lib.wait_for(lambda: replicas_online(st.r, 1), 20, what="a replica online")
            lib.wait_for(lambda: replica_caught_up(st.r, replica.client()), 20,
                         what="the replica caught up")
            # A client retries as Retry-After says: on a loaded machine the
            # replica's confirmation can still miss a 300 ms WAIT just after
            # its sync; every answer until then is the same 503, never a
            # second report.
            deadline = time.monotonic() + 15
            while True:
                again = st.d.post("/api/v1/reports", body, token=tok, headers={"Idempotency-Key": key})
                if again.status != 503 or time.monotonic() > deadline:
                    break
                lib.assert_error(again, 503, "unavailable")
                assert len(lib.report_keys(st.r)) == 1
                time.sleep(1)
            assert again.status == 201, again
            assert again.header("idempotent-replayed") == "true"
            assert len(lib.report_keys(st.r)) == 1
            assert replica.client().hget(lib.PREFIX + "report:" + again.json()["report"], "officer") \
                == oid.encode()
            # and a new change is acknowledged at once
            shorts = lib.metric(st.d.metrics(), "liaisond_redis_wait_short_total")
            assert st.d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok).status == 201
            assert lib.metric(st.d.metrics(), "liaisond_redis_wait_short_total") == shorts
        finally:
            replica.stop()


def test_never_writes_to_a_replica(tmp_path):
    """A daemon (and liaisonctl) pointed at a replica stays down until it is
    the primary; a primary demoted under it makes writes 503, not 500."""
    tmp = str(tmp_path)
    primary = lib.RedisServer(tmp, name="primary").start()
    replica = lib.RedisServer(tmp, name="replica", extra=["--replicaof", "127.0.0.1", str(primary.port)])
    d = lib.Daemon(os.path.join(tmp, "d"), replica.port)
    try:
        replica.start()
        lib.wait_for(lambda: replicas_online(primary.client(), 1), 20, what="a replica online")
        d.start(wait=False)
        lib.wait_for(lambda: "is not the primary" in d.stderr(), 10, what="the daemon's refusal")
        lib.assert_error(lib.request(d.port, "GET", "/healthz"), 503, "unavailable")
        assert lib.metric(d.metrics(), "liaisond_redis_up") == 0
        p = d.ctl("token", "issue", "officer", "O001", check=False)
        assert p.returncode != 0 and "a replica, not the primary" in p.stderr, p
        assert replica.client().dbsize() == 0

        replica.client().execute_command("REPLICAOF", "NO", "ONE")
        d.wait_healthy()
        tok = d.token("officer", "O001")
        ent = d.roster["officers"][0]["enterprises"][0]
        assert d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok).status == 201

        # demoted while the daemon uses it: READONLY, then ROLE says replica
        replica.client().execute_command("REPLICAOF", "127.0.0.1", str(primary.port))
        resp = d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok)
        lib.assert_error(resp, 503, "unavailable")
        lib.wait_for(lambda: lib.request(d.port, "GET", "/healthz").status == 503, 10,
                     what="healthz 503 on a replica")
        assert lib.report_keys(primary.client()) == set()
        d.stop_and_check()
    finally:
        d.kill()
        replica.stop()
        primary.stop()
