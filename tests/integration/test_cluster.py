"""Many zones on one Redis Cluster (issue 14, SPEC 13).

Three primaries on loopback (cluster-enabled, appendfsync always), made one
cluster by `redis-cli --cluster create`. Three zones, each a daemon (with
its own roster file) whose prefix has its own hash tag, the tags' slots on
the three primaries; each daemon is given a node that does not serve its
slot, and finds the one that does. Reports and claims work in all three.
Then the slot of one zone is moved to another zone's primary (CLUSTER
SETSLOT ... IMPORTING / MIGRATING,
MIGRATE, SETSLOT ... NODE) while a burst of reports keeps coming: every
report that got a 201 is on the new node exactly once, the daemon waited
out the move (ASK) and followed it (MOVED), and /healthz and /metrics say
so. liaisonctl works against the cluster before and after.

Each primary has one replica (six nodes in all), and the cluster is made
once for the module (making it is most of a test's time): each test stops
its daemons and empties the nodes when it ends. The last test kills the
primary serving a zone (SIGKILL) during a burst of reports with [redis]
replicas = 1: the Cluster promotes its replica, the daemons find it
through the nodes the config gives, and every 201 is there exactly once.
"""

import os
import shutil
import signal
import subprocess
import threading
import time
import types

import openpyxl
import pytest
import redis

import flow
import lib
from test_failover import RecordingSink, Reporter, burst, health

REDIS_CLI = os.environ.get("REDIS_CLI", "redis-cli")
OFFICERS = ["O001", "O002", "O003", "O004"]


class Cluster:
    """Three cluster primaries with a replica each, and the daemons of the
    zones on them."""

    NODE_TIMEOUT_MS = 5000

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.nodes = []             # the primaries
        self.replicas = []
        self.daemons = []
        self.sinks = []

    def start(self):
        every = []
        for i in range(6):
            d = os.path.join(self.tmp, "node%d" % i)
            n = lib.RedisServer(self.tmp, name="node%d" % i,
                                extra=["--cluster-enabled", "yes",
                                       "--cluster-config-file", os.path.join(d, "nodes.conf"),
                                       "--cluster-node-timeout", str(self.NODE_TIMEOUT_MS),
                                       # a replica may always take over (the test's clock is not a day)
                                       "--cluster-replica-validity-factor", "0",
                                       # a returning node resyncs at once, not 5 s later
                                       "--repl-diskless-sync-delay", "0",
                                       # the bus, port + 10000 unless given, may not exist
                                       "--cluster-port", str(lib.free_port())])
            every.append(n)
            n.start()
        p = subprocess.run([REDIS_CLI, "--cluster", "create"]
                           + ["127.0.0.1:%d" % n.port for n in every]
                           + ["--cluster-replicas", "1", "--cluster-yes"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        for n in every:
            c = n.client()
            lib.wait_for(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"), 30,
                         what="cluster state ok on %d" % n.port)
        self.nodes = [n for n in every if n.client().info("replication")["role"] == "master"]
        self.replicas = [n for n in every if n not in self.nodes]
        assert len(self.nodes) == 3, p.stdout
        # every node knows every slot's owner; every replica has its primary's data
        for n in every:
            c = n.client()
            lib.wait_for(lambda: len(c.execute_command("CLUSTER", "SLOTS")) == 3, 30,
                         what="three slot ranges known on %d" % n.port)
        for n in self.replicas:
            c = n.client()
            lib.wait_for(lambda: c.info("replication").get("master_link_status") == "up", 30,
                         what="replica %d in sync" % n.port)

    def replica_of(self, primary):
        for n in self.replicas:
            if n.client().info("replication").get("master_port") == primary.port:
                return n
        raise AssertionError("no replica of %d" % primary.port)

    def slot(self, tag):
        return self.nodes[0].client().execute_command("CLUSTER", "KEYSLOT", tag)

    def owner(self, slot, via=None):
        """The node (of self.nodes) that serves slot, as via sees it."""
        for lo, hi, master, *_ in (via or self.nodes[0]).client().execute_command("CLUSTER", "SLOTS"):
            if lo <= slot <= hi:
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise AssertionError("slot %d not served" % slot)

    def node_id(self, node):
        return node.client().execute_command("CLUSTER", "MYID").decode()

    def zone_tags(self, n=2):
        """n hash tags whose slots are on n different primaries."""
        tags, owners = [], []
        for i in range(1000):
            tag = "zone-%d" % i
            o = self.owner(self.slot(tag))
            if o not in owners:
                tags.append(tag)
                owners.append(o)
            if len(tags) == n:
                return tags
        raise AssertionError("no %d tags on %d nodes" % (n, n))

    def start_daemon(self, tag, seed, name=None, sink=None, redis=None):
        """A zone's daemon given the node seed (redis: more [redis] keys);
        its webhooks go to d.sink, a new one unless given."""
        if sink is None:
            sink = RecordingSink()
            self.sinks.append(sink)
        d = lib.Daemon(os.path.join(self.tmp, name or tag), seed.port, sink_port=sink.port,
                       prefix="{%s}:" % tag, conf={"redis": dict({"cluster": "yes"}, **(redis or {})),
                                                    "webhooks": {"schedule": "0,1,1,1,1,1,1,1"}})
        d.sink = sink
        self.daemons.append(d)
        d.start()
        return d

    def end_test(self):
        """Stop this test's daemons and sinks and empty the nodes, for the
        next test; the first problem a daemon had, or None."""
        problem = lib.stop_daemons(self.daemons)
        for sink in self.sinks:
            sink.close()
        self.daemons, self.sinks = [], []
        for n in self.nodes:
            if n.proc.poll() is None:
                n.client().flushall()
        return problem

    def close(self):
        for n in reversed(self.nodes + self.replicas):
            n.stop()


@pytest.fixture(scope="module")
def the_cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start()
        yield c
    finally:
        c.close()


@pytest.fixture
def cluster(the_cluster):
    """The module's cluster; this test's daemons stop when it ends."""
    try:
        yield the_cluster
    finally:
        problem = the_cluster.end_test()
    if problem:
        raise problem


def move_slot(c, slot, src, dst, pause, batch=20):
    """Move slot from src to dst as redis-cli --cluster reshard does, batch
    keys at a time; pause() runs once the slot is migrating, before a key
    has moved. MIGRATE refuses (BUSYKEY) a key dst already has: a script
    run on dst in the middle of the move would fail it."""
    sc, dc = src.client(), dst.client()
    dc.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", c.node_id(src))
    sc.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", c.node_id(dst))
    pause()
    moved = 0
    while True:
        keys = sc.execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch)
        if not keys:
            break
        sc.execute_command("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys)
        moved += len(keys)
        time.sleep(0.02)          # a move takes a while: let the reports knock meanwhile
    for n in [dst, src] + [n for n in c.nodes if n not in (src, dst)]:
        n.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", c.node_id(dst))
    return moved


def officers_of(d):
    return [next(o for o in d.roster["officers"] if o["id"] == oid) for oid in OFFICERS]


def stored_once(node, prefix, done):
    """Every acknowledged report is on node, its issue there exactly once."""
    r = node.client()
    titles = {}
    for iid in lib.issue_keys(r, prefix):
        t = r.hget(prefix + "issue:" + iid, "title").decode()
        titles[t] = titles.get(t, 0) + 1
    for x in done:
        assert r.hget(prefix + "report:" + x["doc"]["report"], "officer") is not None, x
        assert titles.get(x["title"]) == 1, (x, titles.get(x["title"]))
    assert len({x["doc"]["report"] for x in done}) == len(done)


def test_zones_on_a_cluster_follow_their_slot(cluster):
    c = cluster
    tags = c.zone_tags(3)
    slots = [c.slot(t) for t in tags]
    owners = [c.owner(s) for s in slots]
    third = owners[2]           # where zone 0's slot moves, beside zone 2's
    # three zones, one on each primary; each daemon is given a node that
    # does not serve its zone
    zones = [c.start_daemon(tags[i], owners[(i + 1) % 3]) for i in range(3)]
    prefixes = ["{%s}:" % t for t in tags]
    for d, o in zip(zones, owners):
        h = health(d)["redis"]
        assert h["primary"] == "127.0.0.1:%d" % o.port, h
        assert h["cluster"] is True and h["moved"] >= 1 and h["asked"] == 0, h

    # reports and claims in every zone; liaisonctl finds the zone's node
    docs = []
    for d in zones:
        oid = OFFICERS[0]
        ent = d.roster["officers"][0]["enterprises"][0]
        tok = d.token("officer", oid)
        resp = d.post("/api/v1/reports", {"items": [lib.item(ent, topic="hiring")]}, token=tok,
                      headers={"Idempotency-Key": lib.new_key()})
        assert resp.status == 201, resp
        docs.append(resp.json())
        hr = d.token("department", "hr")
        claim = d.post("/api/v1/departments/hr/claim", {"claimant": "甲"}, token=hr)
        assert claim.status == 200, claim
    for o, p, doc in zip(owners, prefixes, docs):
        assert o.client().hget(p + "report:" + doc["report"], "officer") is not None
        # nothing of the zone anywhere else
        for n in c.nodes:
            if n is not o:
                assert not list(n.client().scan_iter(match=p + "*")), n.port

    # move zone 0's slot to the third primary under a burst of reports
    d = zones[0]
    officers = officers_of(d)
    tokens = {o["id"]: d.token("officer", o["id"]) for o in officers}
    stop = threading.Event()
    done, errors = [], []
    threads = [Reporter([d.port], tokens[o["id"]], o, stop, done, errors, i)
               for i, o in enumerate(officers)]
    for t in threads:
        t.start()
    lib.wait_for(lambda: len(done) >= 20 or errors, 30, what="reports before the move")
    assert not errors, errors[:10]
    before = health(d)["redis"]
    n_before = len(done)
    moved = move_slot(c, slots[0], owners[0], third,
                      pause=lambda: lib.wait_for(lambda: health(d).get("redis", {}).get("asked", 0) > before["asked"],
                                                 20, what="the daemon told to ASK"))
    assert moved > 0
    lib.wait_for(lambda: health(d).get("redis", {}).get("primary") == "127.0.0.1:%d" % third.port, 20,
                 what="the daemon on the slot's new node")
    lib.wait_for(lambda: len(done) >= n_before + 40, 30, what="reports after the move")
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors[:10]
    h = health(d)["redis"]
    assert h["moved"] > before["moved"] and h["asked"] > before["asked"], (before, h)
    metrics = d.metrics()
    assert lib.metric(metrics, "liaisond_redis_primary", address="127.0.0.1:%d" % third.port) == 1
    assert lib.metric(metrics, "liaisond_redis_redirects_total", kind="moved") == h["moved"]
    assert lib.metric(metrics, "liaisond_redis_redirects_total", kind="ask") == h["asked"]
    promtool = shutil.which("promtool")
    if promtool is not None:        # the cluster's metrics are well-formed too
        p = subprocess.run([promtool, "check", "metrics"], input=d.get("/metrics").body,
                           capture_output=True, timeout=30)
        assert p.returncode == 0, (p.stdout + p.stderr).decode()
    print("\ncluster: %d reports acknowledged across the move of %d keys; "
          "redirects: %d moved, %d asked" % (len(done), moved, h["moved"], h["asked"]))

    # every 201 on the new node exactly once; nothing left behind
    assert owners[0].client().execute_command("CLUSTER", "COUNTKEYSINSLOT", slots[0]) == 0
    stored_once(third, prefixes[0], done)
    assert third.client().hget(prefixes[0] + "report:" + docs[0]["report"], "officer") is not None

    # the other zones never noticed
    for other in zones[1:]:
        assert health(other)["redis"]["moved"] == 1
        assert health(other)["redis"]["asked"] == 0

    # liaisonctl follows too: a token made now works at once
    tok = d.token("officer", OFFICERS[1])
    ent = officers[1]["enterprises"][0]
    assert d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok).status == 201
    # every task.queued of the burst delivered, a repeat under the same webhook-id
    flow.delivered_once(d.sink, flow.acked_tasks(done))

    # liaisonctl runs a script on the new node: the ledger has every report
    out = os.path.join(c.tmp, "zone0.csv")
    d.ctl("ledger", "export", "--department", "hr", "-o", out)
    with open(out, encoding="utf-8-sig") as f:
        text = f.read()
    assert all(x["title"] in text for x in done)

    # no key anywhere in the cluster outside the zones' prefixes: every
    # key the daemons and liaisonctl made is built from the prefix
    for n in c.nodes:
        stray = [k for k in n.client().scan_iter(count=1000)
                 if not k.decode().startswith(tuple(prefixes))]
        assert not stray, (n.port, stray[:5])

    # and claims go on, on the new node
    hr = d.token("department", "hr")
    claim = d.post("/api/v1/departments/hr/claim", {"claimant": "乙"}, token=hr)
    assert claim.status == 200, claim
    assert third.client().hget(prefixes[0] + "task:" + claim.json()["id"], "state") == b"claimed"


def test_liaisonctl_waits_out_a_move(cluster):
    """While the zone's slot is migrating, liaisonctl's script gets ASK: it
    asks again every 100 ms (within timeout_ms) rather than run the script
    on the node taking the slot over, and finishes once the slot is stable."""
    c = cluster
    tag = c.zone_tags()[0]
    slot = c.slot(tag)
    src = c.owner(slot)
    dst = next(n for n in c.nodes if n is not src)
    d = c.start_daemon(tag, src)
    ent = d.roster["officers"][0]["enterprises"][0]
    item = lib.item(ent, topic="hiring")
    assert d.post("/api/v1/reports", {"items": [item]}, token=d.token("officer", OFFICERS[0])).status == 201
    # liaisonctl with a long timeout_ms, so that the wait outlasts the pause below
    with open(d.conf) as f:
        text = f.read()
    conf = os.path.join(d.dir, "ctl.conf")      # the roster is next to it
    with open(conf, "w") as f:
        f.write(text.replace("timeout_ms = 1000", "timeout_ms = 20000"))
    out = os.path.join(c.tmp, "hr.csv")
    dst.client().execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", c.node_id(src))
    src.client().execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", c.node_id(dst))
    book = os.path.join(c.tmp, "zone.xlsx")
    got = {}
    # the department's CSV, and the zone's workbook, whose current period
    # also reads the agenda: both reads are asked again, not run on dst
    runs = {"csv": ("--department", "hr", "-o", out),
            "xlsx": ("--format", "xlsx", "-o", book)}
    threads = [threading.Thread(target=lambda k=k, a=a: got.update({k: lib.liaisonctl(
        "-c", conf, "ledger", "export", *a, check=False)})) for k, a in runs.items()]
    for t in threads:
        t.start()
    time.sleep(1)                 # not a deadline: it cannot end while the slot migrates
    assert all(t.is_alive() for t in threads), got
    for n in (src, dst):
        n.client().execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
    for t in threads:
        t.join(30)
    for k in runs:
        assert got[k].returncode == 0, (k, got[k].stderr)
    with open(out, encoding="utf-8-sig") as f:
        assert item["title"] in f.read()
    wb = openpyxl.load_workbook(book, read_only=True)
    assert "例会议题" in wb.sheetnames
    assert any(item["title"] in str(v) for ws in wb.worksheets
               for row in ws.iter_rows(values_only=True) for v in row)
    assert not list(dst.client().scan_iter(match="{%s}:*" % tag))


def test_cluster_refuses_config_that_cannot_work(tmp_path):
    """cluster = yes needs a hash tag and is not Sentinel's: liaisond -t
    refuses, naming the line."""
    cases = [
        ({"redis": {"cluster": "yes"}}, "liaison:",
         "[redis] cluster: needs a prefix with a hash tag"),
        ({"redis": {"cluster": "yes", "sentinels": "127.0.0.1:26379", "master": "m"}}, "{aq}:",
         "[redis] cluster: not with sentinels"),
        ({"redis": {"nodes": "127.0.0.1:7001"}}, "{aq}:",
         "[redis] nodes: needs cluster = yes"),
    ]
    for i, (conf, prefix, message) in enumerate(cases):
        d = lib.Daemon(os.path.join(str(tmp_path), "d%d" % i), lib.free_port(), prefix=prefix, conf=conf)
        p = subprocess.run([lib.LIAISOND, "-t", "-c", d.conf], capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and message in p.stderr, (conf, p.stderr)
        q = d.ctl("token", "issue", "officer", "O001", check=False)
        assert q.returncode != 0 and message in q.stderr, (conf, q.stderr)


def test_too_few_replicas_on_a_cluster_is_503_and_the_retry_returns_the_first_answer(cluster):
    """replicas = 1 on a Cluster: WAIT goes to the primary serving the zone's
    slot (found through the second node given: the first is down). With its replica paused (SIGSTOP) the change is made but not
    acknowledged (503, Retry-After); once the replica holds it, the same
    Idempotency-Key returns the first answer, and the report is stored once,
    on the slot's primary and its replica."""
    c = cluster
    tag = c.zone_tags(1)[0]
    prefix = "{%s}:" % tag
    primary = c.owner(c.slot(tag))
    replica = c.replica_of(primary)
    other = next(n for n in c.nodes if n is not primary)
    # the first node given is down at start: the next one in [redis] nodes is asked
    down = types.SimpleNamespace(port=lib.free_port())
    d = c.start_daemon(tag, down, redis={"replicas": 1, "wait_ms": 300,
                                         "nodes": "127.0.0.1:%d" % other.port})
    assert health(d)["redis"]["primary"] == "127.0.0.1:%d" % primary.port
    oid = OFFICERS[0]
    ent = d.roster["officers"][0]["enterprises"][0]
    tok = d.token("officer", oid)
    assert d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok).status == 201
    pr = primary.client()
    body = {"items": [lib.item(ent)]}
    key = lib.new_key()
    replica.kill(signal.SIGSTOP)
    try:
        first = d.post("/api/v1/reports", body, token=tok, headers={"Idempotency-Key": key})
        lib.assert_error(first, 503, "unavailable")
        assert first.header("retry-after") == "1"
        assert lib.metric(d.metrics(), "liaisond_redis_wait_short_total") == 1
        assert len(lib.report_keys(pr, prefix)) == 2      # made, not yet safe
    finally:
        replica.kill(signal.SIGCONT)
    # a Cluster replica answers reads only after READONLY, on that connection
    rc = redis.Redis(host="127.0.0.1", port=replica.port, socket_timeout=5, single_connection_client=True)
    rc.execute_command("READONLY")
    lib.wait_for(lambda: len(lib.report_keys(rc, prefix)) == 2, 20, what="the replica caught up")
    again = d.post("/api/v1/reports", body, token=tok, headers={"Idempotency-Key": key})
    assert again.status == 201, again
    assert again.header("idempotent-replayed") == "true"
    assert len(lib.report_keys(pr, prefix)) == 2
    assert rc.hget(prefix + "report:" + again.json()["report"], "officer") == oid.encode()
    # and a new change is acknowledged at once
    assert d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok).status == 201
    assert lib.metric(d.metrics(), "liaisond_redis_wait_short_total") == 1


def test_a_failover_inside_the_cluster_loses_nothing_acknowledged(cluster):
    """[redis] replicas = 1 on a Cluster: a 201 means the zone's primary and
    its replica hold the report (WAIT on the primary serving the slot). The
    primary is killed (SIGKILL) under a burst of reports and claims through
    two daemons; the Cluster promotes the replica (cluster-node-timeout made
    short here); the daemons, whose first configured node is the one killed,
    ask the next nodes in [redis] nodes and follow, and count it as a
    failover (/healthz, /metrics), not as a slot's move. The killed node comes
    back as the new primary's replica, so that changes are acknowledged
    again. Afterwards every 201 is on the new primary exactly once, claims
    went on with no task handed out twice, and every webhook event was
    delivered under one webhook-id. liaisonctl, run as the primary is
    killed, waits for the promoted replica and writes there; with a short
    [redis] failover_wait_ms it gives up in time, with one line, writing
    nothing."""
    c = cluster
    tag = c.zone_tags(1)[0]
    prefix = "{%s}:" % tag
    old = c.owner(c.slot(tag))
    heir = c.replica_of(old)
    others = [n for n in c.nodes if n is not old]
    nodes = ",".join("127.0.0.1:%d" % n.port for n in others + [heir])
    sink = RecordingSink()
    c.sinks.append(sink)
    zone = [c.start_daemon(tag, old, name="%s-%d" % (tag, i), sink=sink,
                           redis={"replicas": 1, "wait_ms": 1000, "nodes": nodes})
            for i in range(2)]
    ports = [d.port for d in zone]
    for d in zone:
        h = health(d)["redis"]
        assert h["primary"] == "127.0.0.1:%d" % old.port and h["failovers"] == 0, h
        assert lib.metric(d.metrics(), "liaisond_redis_failovers_total") == 0
    moved = [health(d)["redis"]["moved"] for d in zone]
    short_conf, long_conf = lib.ctl_conf(zone[0], "ctl-short", 1000), lib.ctl_conf(zone[0], "ctl-long", 60000)
    ctl = {}

    def run_ctl(conf, ident):
        began = time.monotonic()
        p = lib.liaisonctl("-c", conf, "token", "issue", "admin", ident, check=False)
        ctl[ident] = (p, time.monotonic() - began)
    officers = officers_of(zone[0])
    tokens = {o["id"]: zone[0].token("officer", o["id"]) for o in officers}
    hr = zone[1].token("department", "hr")
    for n in c.nodes + c.replicas:      # a failover in seconds, not the module's 5
        n.client().config_set("cluster-node-timeout", 1500)
    try:
        stop_reports, stop_claims, done, claimed, errors, threads = burst(ports, tokens, officers, hr)
        lib.wait_for(lambda: len(done) >= 30 or errors, 30, what="reports before the kill")
        assert not errors, errors[:10]

        killed = time.monotonic()
        old.kill()
        # liaisonctl while the Cluster fails over (the first node it is
        # given is the one killed)
        ctls = [threading.Thread(target=run_ctl, args=(conf, ident))
                for conf, ident in ((short_conf, "ctl-short"), (long_conf, "ctl-long"))]
        for t in ctls:
            t.start()
        lib.wait_for(lambda: heir.client().info("replication")["role"] == "master", 30, interval=0.05,
                     what="the replica promoted")
        promoted = time.monotonic()
        new = "127.0.0.1:%d" % heir.port
        for d in zone:          # they find it by themselves, asking the nodes given
            lib.wait_for(lambda: health(d).get("redis", {}).get("primary") == new, 20, interval=0.05,
                         what="daemon on " + new)
        followed = time.monotonic()
        # counted as a failover, as a Sentinel's is; not as a move of the slot
        for d, m in zip(zone, moved):
            # read from the answer that showed it: a /healthz made between
            # two connections has no "redis" part
            seen = {}

            def counted():
                seen["redis"] = health(d).get("redis", {})
                return seen["redis"].get("failovers", 0) >= 1
            lib.wait_for(counted, 20, what="the failover counted")
            h = seen["redis"]
            assert h["moved"] == m, (m, h)
            # /metrics reads Redis: just after the switch it may answer 503
            # (the store did not answer in time) before it answers the count
            def metric_counted():
                got = d.get("/metrics")
                return got.status == 200 and lib.metric(lib.parse_metrics(got.body.decode()),
                                                        "liaisond_redis_failovers_total") == h["failovers"]
            lib.wait_for(metric_counted, 20, what="/metrics counting the failover")
        # liaisonctl: the short wait gave up, clearly, in time, having written
        # nothing; the long one waited for the promoted replica and wrote there
        for t in ctls:
            t.join(40)
        short, short_s = ctl["ctl-short"]
        assert short.returncode == 1 and short.stdout == "", short
        assert short.stderr.count("\n") == 1, short.stderr
        assert "no primary for the zone within 1000 ms ([redis] failover_wait_ms)" in short.stderr, short.stderr
        assert short_s < 10, short_s
        assert not heir.client().exists(prefix + "tokens:admin:ctl-short")
        waited, waited_s = ctl["ctl-long"]
        assert waited.returncode == 0, waited.stderr
        admin_token = waited.stdout.strip()
        assert heir.client().hget(prefix + "token:" + lib.token_sha(admin_token), "role") == b"admin"
        # the old primary comes back as the new one's replica: WAIT 1 can be met again
        old.start()
        lib.wait_for(lambda: (heir.client().info("replication").get("slave0") or {}).get("state") == "online",
                     30, interval=0.05, what="the old primary the new one's replica")
        rejoined = time.monotonic()
        lib.wait_for(lambda: any(x["first"] > killed for x in done) or errors, 40, interval=0.02,
                     what="a 201 for a report sent after the kill")
        assert not errors, errors[:10]
        first_after = min(x["at"] for x in done if x["first"] > killed)
        for d in zone:
            assert health(d)["redis"]["primary"] == new
            assert lib.metric(d.metrics(), "liaisond_redis_primary", address=new) == 1
        n_after = len(done)
        lib.wait_for(lambda: len(done) >= n_after + 30 or errors, 30, what="reports after the failover")
        stop_reports.set()
        for t in threads[:len(officers)]:
            t.join(60)
        assert not errors, errors[:10]
        print("\ncluster failover: %d reports acknowledged; from SIGKILL to the replica promoted "
              "%.2f s, to both daemons on it %.2f s, to the old primary back as its replica %.2f s "
              "(restarted at %.2f s), to the first 201 %.2f s; liaisonctl gave up after %.2f s "
              "(failover_wait_ms 1000), and with 60000 wrote on the promoted replica after %.2f s"
              % (len(done), promoted - killed, followed - killed, rejoined - killed, followed - killed,
                 first_after - killed, short_s, waited_s))

        # every acknowledged report on the promoted replica, exactly once
        stored_once(heir, prefix, done)
        # the token liaisonctl made during the failover works
        assert zone[1].get("/api/v1/me", token=admin_token).status == 200
        # liaisonctl: the first node it is given is a replica now; it asks the next ones
        out = os.path.join(c.tmp, "failover.csv")
        zone[0].ctl("ledger", "export", "--department", "hr", "-o", out)
        with open(out, encoding="utf-8-sig") as f:
            text = f.read()
        assert all(x["title"] in text for x in done)

        # claims go on through both daemons until the queue is empty
        tasks = flow.acked_tasks(done)
        flow.claims_drain(ports[0], hr, stop_claims, threads[len(officers):], claimed, errors, tasks,
                          heir.client(), prefix)

        # every event delivered; a repeat carries the same webhook-id
        flow.delivered_once(sink, tasks)
    finally:
        for n in c.nodes + c.replicas:
            if n.proc.poll() is None:
                n.client().config_set("cluster-node-timeout", Cluster.NODE_TIMEOUT_MS)
    # the module's cluster, for whatever runs after: the promoted replica
    # is a primary now, the old primary its replica
    c.nodes[c.nodes.index(old)] = heir
    c.replicas[c.replicas.index(heir)] = old
    lib.wait_for(lambda: old.client().info("replication").get("master_link_status") == "up", 30,
                 what="the old primary a replica in sync")
