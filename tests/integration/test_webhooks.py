"""Webhook delivery (issue 4): every outbox event reaches its department's
endpoint in the department's format, signed, retried on failure with the
same webhook-id, and survives a daemon killed mid-way.

A scripted sink on loopback records every request and answers what a test
tells it to, per path: a status, a body, headers, a delay.
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import os
import json
import re
import threading
import time
import urllib.parse

import pytest

import lib
from flow import admin, claim_next, submit

SCHEDULE = "0,1,1,1"          # retries after 1 s; dead after the 4th attempt


class ScriptedSink:
    """POSTs are recorded as dicts: path, query, headers, body, at."""

    def __init__(self):
        self.received = []
        self.script = {}          # path -> [(status, body, headers, delay)]
        self.lock = threading.Lock()
        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                url = urllib.parse.urlsplit(self.path)
                with sink.lock:
                    sink.received.append({"path": url.path, "query": urllib.parse.parse_qs(url.query),
                                          "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body, "at": time.monotonic()})
                    todo = sink.script.get(url.path)
                    answer = todo.pop(0) if todo else (200, b'{"errcode":0,"code":0,"errmsg":"ok"}', {}, 0)
                status, out, headers, delay = answer
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        self.server = lib.serve_http(H)
        self.port = self.server.server_address[1]

    def answer(self, path, *answers):
        with self.lock:
            self.script.setdefault(path, []).extend(answers)

    def at(self, path):
        with self.lock:
            return [r for r in self.received if r["path"] == path]

    def wait(self, path, n, timeout=10):
        lib.wait_for(lambda: len(self.at(path)) >= n, timeout, what="%d request(s) to %s" % (n, path))
        return self.at(path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


FORMATS = {     # department -> (format, secret)
    "hr": ("standard", None),                   # the roster's whsec_ secret
    "land": ("wecom", None),
    "build": ("dingtalk", "SECa1b2c3d4e5f6"),
    "env": ("feishu", "feishusecret123"),
}


class Hooks(lib.Stack):
    """A stack whose departments' webhooks go to a ScriptedSink, in the
    formats of FORMATS, retried on SCHEDULE. clock_at: the daemon runs on a
    test clock (h.d.clock) that starts there."""

    def __init__(self, workdir, conf=None, clock_at=None, userinfo=None):
        c = {"webhooks": {"schedule": SCHEDULE, "timeout_ms": 1000}}
        c.update(conf or {})
        super().__init__(workdir, conf=c, sink=ScriptedSink(), start=False)
        if clock_at is not None:
            self.d.use_test_clock().set(clock_at)
        for dept in self.roster["departments"]:
            fmt, secret = FORMATS.get(dept["id"], ("standard", None))
            hook = dept["webhook"]
            hook["format"] = fmt
            if fmt == "wecom":
                hook["url"] = "http://127.0.0.1:%d/hooks/%s?key=wecomkey123" % (self.sink.port, dept["id"])
                hook.pop("secret", None)
            elif fmt in ("dingtalk", "feishu"):
                hook["secret"] = secret
            if userinfo and dept["id"] in userinfo:
                hook["url"] = hook["url"].replace("//", "//%s@" % userinfo[dept["id"]], 1)
        lib.write_roster(self.d.roster_path, self.roster)
        self.start()

    def dept(self, did):
        return next(d for d in self.roster["departments"] if d["id"] == did)

    def file(self, oid, topic):
        ent = self.officer(oid)["enterprises"][0]
        return submit(self, oid, [lib.item(ent, topic=topic)])["issues"][0]

    def deliveries(self, **q):
        qs = urllib.parse.urlencode(q)
        r = self.d.get("/api/v1/deliveries" + ("?" + qs if qs else ""), token=admin(self))
        assert r.status == 200, r
        return r.json()["deliveries"]


@pytest.fixture
def hooks(fresh_stack):
    """hooks(conf=…) -> a started Hooks, torn down (and checked) after the test."""
    return lambda **kw: fresh_stack(kind=Hooks, **kw)


def verify_standard(req, secret):
    key = base64.b64decode(secret[len("whsec_"):])
    msg = ("%s.%s." % (req["headers"]["webhook-id"], req["headers"]["webhook-timestamp"])).encode() + req["body"]
    want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    got = [s.split(",", 1)[1] for s in req["headers"]["webhook-signature"].split() if s.startswith("v1,")]
    assert want in got, (want, got)


def test_standard_webhook_is_signed_and_carries_the_task(hooks):
    h = hooks()
    issue = h.file("O001", "hiring")
    req = h.sink.wait("/hooks/hr", 1)[0]
    verify_standard(req, h.dept("hr")["webhook"]["secret"])
    assert req["headers"]["webhook-id"].startswith("msg_")
    assert abs(int(req["headers"]["webhook-timestamp"]) - time.time()) < 30
    body = json.loads(req["body"])
    assert body["type"] == "task.queued"
    assert body["data"]["task"]["id"] == issue["tasks"][0]["id"]
    assert body["data"]["issues"][0]["id"] == issue["id"]
    d = h.deliveries(department="hr")
    assert d[0]["status"] == "delivered" and len(d[0]["attempts"]) == 1, d
    assert d[0]["webhook_id"] == req["headers"]["webhook-id"]


def test_a_reused_handle_carries_nothing_of_the_previous_delivery(hooks):
    """libcurl's easy handles are kept and reset between deliveries: each
    request, one department after another through the same handles, is
    exactly its own: its URL and query, its headers and no other (hr's
    signature and hr's basic auth from the URL's user info go to hr only),
    its body."""
    h = hooks(userinfo={"hr": "hook:pw"})
    common = {"host", "user-agent", "accept", "content-type", "content-length"}
    auth = "Basic " + base64.b64encode(b"hook:pw").decode()
    secret = h.dept("hr")["webhook"]["secret"]

    def exactly(path, n, names, query):
        req = h.sink.wait(path, n)[n - 1]
        assert set(req["headers"]) == names, (path, req["headers"])
        assert req["query"] == query, (path, req["query"])
        assert req["headers"]["user-agent"].startswith("liaisond/"), req["headers"]
        assert req["headers"]["content-type"] == "application/json", req["headers"]
        assert int(req["headers"]["content-length"]) == len(req["body"]), req
        lib.wait_for(lambda: all(d["status"] == "delivered" for d in h.deliveries()), 5,
                     what="every delivery recorded")
        return req, json.loads(req["body"])

    signed = common | {"authorization", "webhook-id", "webhook-timestamp", "webhook-signature"}
    for n in (1, 2):                # hr, then the chat robots, then hr again
        issue = h.file("O00%d" % n, "hiring")
        req, body = exactly("/hooks/hr", n, signed, {})
        assert req["headers"]["authorization"] == auth, req["headers"]
        verify_standard(req, secret)
        assert body["type"] == "task.queued" and set(body) == {"type", "timestamp", "data"}, body
        assert body["data"]["task"]["id"] == issue["tasks"][0]["id"], body
        if n == 2:
            break
        h.file("O001", "land")                    # land is a WeCom robot
        req, body = exactly("/hooks/land", 1, common, {"key": ["wecomkey123"]})
        assert set(body) == {"msgtype", "markdown"} and set(body["markdown"]) == {"content"}, body
        h.file("O001", "environment")             # env is a Feishu bot
        req, body = exactly("/hooks/env", 1, common, {})
        want = base64.b64encode(hmac.new(("%s\n%s" % (body["timestamp"], FORMATS["env"][1])).encode(),
                                         b"", hashlib.sha256).digest()).decode()
        assert body["sign"] == want and body["msg_type"] == "interactive", body


def test_a_delivered_report_costs_one_claim(hooks):
    # The engine claims when a commit wakes it; it claims again at once
    # only when a claim filled a department's free slots, and after a
    # transfer only when deliveries wait for its slot. Before, every claim
    # that found work was followed by one that found none, and every
    # finished transfer claimed again: three deliver.lua claims a report.
    h = hooks()
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    reports, claims, stop = 8, [], threading.Event()

    def watch():
        with h.r.monitor() as m:
            ready.set()
            while not stop.is_set():
                cmd = m.next_command()["command"]
                if cmd.startswith("EVALSHA ") and " claim " in cmd:
                    claims.append(time.monotonic())

    ready = threading.Event()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    assert ready.wait(10)
    start = time.monotonic()
    for i in range(reports):
        h.file("O001", "hiring")
        h.sink.wait("/hooks/hr", 2 + i)
    time.sleep(0.3)
    took = time.monotonic() - start
    stop.set()
    h.r.ping()                   # one more command ends the MONITOR loop
    t.join(10)
    # The idle tick claims once a second besides (another daemon's work).
    assert len(claims) <= reports + 1 + int(took), (len(claims), took)


def test_failures_are_retried_with_the_same_webhook_id(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", (500, b"oops", {}, 0), (503, b"", {}, 0))
    h.file("O001", "hiring")
    reqs = h.sink.wait("/hooks/hr", 3, timeout=15)
    assert len({r["headers"]["webhook-id"] for r in reqs}) == 1, reqs
    lib.wait_for(lambda: h.deliveries(department="hr")[0]["status"] == "delivered", 5)
    d = h.deliveries(department="hr")[0]
    assert [a["status"] for a in d["attempts"]] == [500, 503, 200], d
    assert reqs[1]["at"] - reqs[0]["at"] >= 0.7, "retried too early"


def test_429_retry_after_is_honoured(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", (429, b"slow down", {"Retry-After": "2"}, 0))
    h.file("O001", "hiring")
    reqs = h.sink.wait("/hooks/hr", 2, timeout=15)
    assert reqs[1]["at"] - reqs[0]["at"] >= 1.8, reqs[1]["at"] - reqs[0]["at"]


def test_wecom_errcode_decides_and_key_is_redacted(hooks):
    h = hooks()
    # 45009: rate limited (retry later); 93000: a permanent error (dead)
    h.sink.answer("/hooks/land", (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', {}, 0))
    h.file("O001", "land")
    req = h.sink.wait("/hooks/land", 1)[0]
    body = json.loads(req["body"])
    assert body["msgtype"] == "markdown" and len(body["markdown"]["content"].encode()) <= 4096, body
    lib.wait_for(lambda: h.deliveries(department="land")[0]["status"] == "dead", 5)
    d = h.deliveries(department="land")[0]
    assert "wecomkey123" not in json.dumps(d), d
    assert "93000" in d["attempts"][0]["error"], d


def test_dead_after_the_last_attempt_then_admin_retry_delivers(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", *[(500, b"", {}, 0)] * 4)
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 4, timeout=20)
    lib.wait_for(lambda: h.deliveries(department="hr")[0]["status"] == "dead", 5)
    d = h.deliveries(department="hr", status="dead")[0]
    assert len(d["attempts"]) == 4, d
    r = h.d.post("/api/v1/deliveries/%s/retry" % d["id"], {}, token=h.token("admin", "ops"))
    assert r.status == 202, r
    h.sink.wait("/hooks/hr", 5, timeout=10)
    lib.wait_for(lambda: h.deliveries(department="hr")[0]["status"] == "delivered", 5)


def test_dingtalk_and_feishu_signatures_verify(hooks):
    h = hooks()
    h.file("O001", "planning")       # land (wecom) and build (dingtalk)
    h.file("O001", "environment")    # env (feishu)
    ding = h.sink.wait("/hooks/build", 1)[0]
    ts = ding["query"]["timestamp"][0]
    secret = FORMATS["build"][1]
    want = base64.b64encode(hmac.new(secret.encode(), ("%s\n%s" % (ts, secret)).encode(),
                                     hashlib.sha256).digest()).decode()
    assert ding["query"]["sign"][0] == want
    assert json.loads(ding["body"])["msgtype"] == "markdown"
    fei = json.loads(h.sink.wait("/hooks/env", 1)[0]["body"])
    secret = FORMATS["env"][1]
    want = base64.b64encode(hmac.new(("%s\n%s" % (fei["timestamp"], secret)).encode(), b"",
                                     hashlib.sha256).digest()).decode()
    assert fei["sign"] == want, fei
    assert len(json.dumps(fei).encode()) <= 20 * 1024


def test_timeout_is_retried(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", (200, b"{}", {}, 3))      # longer than timeout_ms = 1000
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 2, timeout=15)
    lib.wait_for(lambda: h.deliveries(department="hr")[0]["status"] == "delivered", 5)
    d = h.deliveries(department="hr")[0]
    assert d["attempts"][0]["status"] == 0 and d["attempts"][0]["error"], d


def test_a_hung_endpoint_does_not_delay_the_others(hooks):
    """hr's endpoint never answers in time and 150 of its deliveries wait;
    each of the twelve other departments still gets its event within a
    second of the report (a backlog longer than one claim must not stand
    in front of them)."""
    h = hooks()
    h.sink.answer("/hooks/hr", *[(200, b"{}", {}, 5)] * 300)
    ents = h.officer("O001")["enterprises"]
    for _ in range(3):                           # hr: hangs, 150 waiting
        submit(h, "O001", [lib.item(ents[i % len(ents)], topic="hiring") for i in range(50)])
    h.sink.wait("/hooks/hr", 1)
    topics = {"party": "party", "financing": "finance", "subsidy": "econ", "tax": "tax",
              "land": "land", "environment": "env", "safety": "safety", "licensing": "approval",
              "market": "market", "talent": "social", "investment": "invest", "logistics": "build"}
    filed = {}
    for n, (topic, dept) in enumerate(topics.items()):
        filed[dept] = time.monotonic()
        h.file("O%03d" % (n + 2), topic)
    lib.wait_for(lambda: all(h.sink.at("/hooks/" + d) for d in topics.values()), 5,
                 what="the other departments")
    late = {d: round(h.sink.at("/hooks/" + d)[0]["at"] - filed[d], 2) for d in topics.values()}
    assert all(v <= 1.0 for v in late.values()), late


def test_deliveries_survive_a_killed_daemon(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", (200, b"{}", {}, 4))   # in flight when the daemon dies
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    h.d.kill()
    h.d.checked = False
    h.d.start()
    # sent again once its lease (timeout 1 s + 5 s) has ended
    reqs = h.sink.wait("/hooks/hr", 2, timeout=20)
    assert reqs[0]["headers"]["webhook-id"] == reqs[1]["headers"]["webhook-id"]
    lib.wait_for(lambda: h.deliveries(department="hr")[0]["status"] == "delivered", 10)


def outbox_copy_pending_for(h, consumer):
    """A copy of the last outbox entry, added and read in one step as
    consumer of the engine's group (so that no watch can take it first):
    an entry pending under consumer that nobody enqueued. Returns its id."""
    box = lib.PREFIX + "outbox"
    fields = h.r.xrevrange(box, count=1)[0][1]
    p = h.r.pipeline(transaction=True)
    p.xadd(box, fields)
    p.xreadgroup("webhooks", consumer, {box: ">"}, count=1)
    added, read = p.execute()
    assert read[0][1][0][0] == added, (added, read)
    return added.decode()


READ_MAX = 64     # OUTBOX_READ_MAX (include/daemon.h): entries an enqueue call takes


def outbox_copies_pending_for(h, consumer, n):
    """n copies of the last outbox entry, added and read in one step as
    consumer of the engine's group: pending under consumer, enqueued by
    nobody. Returns their ids, oldest first."""
    box = lib.PREFIX + "outbox"
    fields = h.r.xrevrange(box, count=1)[0][1]
    p = h.r.pipeline(transaction=True)
    for _ in range(n):
        p.xadd(box, fields)
    p.xreadgroup("webhooks", consumer, {box: ">"}, count=n)
    got = p.execute()
    added, read = [a.decode() for a in got[:n]], got[n]
    assert [e[0].decode() for e in read[0][1]] == added, (added, read)
    return added


class EnqueueCalls:
    """The outbox entry ids of each deliver.lua enqueue call, in the order
    Redis ran them (MONITOR), while the with-block runs and until stop()."""

    def __init__(self, h):
        self.h, self.calls, self.done = h, [], threading.Event()
        self.writes = []             # the indexes' writes inside the calls

    def __enter__(self):
        ready = threading.Event()

        def watch():
            with self.h.r.monitor() as m:
                ready.set()
                while not self.done.is_set():
                    cmd = m.next_command()["command"]
                    if cmd.startswith("EVALSHA ") and " enqueue " in cmd:
                        self.calls.append(re.findall(r'"id":"(\d+-\d+)"', cmd))
                    elif cmd.split(" ", 1)[0] in ("XACK", "ZADD"):
                        self.writes.append(cmd.split(" ", 2)[:2])

        self.t = threading.Thread(target=watch, daemon=True)
        self.t.start()
        assert ready.wait(10)
        return self

    def stop(self):
        self.done.set()
        self.h.r.ping()              # one more command ends the MONITOR loop
        self.t.join(10)
        return self.calls

    def __exit__(self, *exc):
        if not self.done.is_set():
            self.stop()


def assert_enqueued_in_pieces_and_delivered_once(h, calls, ids, again_ok=False):
    """ids went to deliver.lua in calls of at most READ_MAX entries, in the
    stream's order, each once (again_ok: at least once), and each was
    delivered by one attempt."""
    mine = [[i for i in c if i in set(ids)] for c in calls]
    mine = [c for c in mine if c]
    assert all(len(c) <= READ_MAX for c in mine), [len(c) for c in mine]
    order = [i for c in mine for i in c]
    if again_ok:
        order = list(dict.fromkeys(order))
    assert order == ids, mine
    lib.wait_for(lambda: all(h.r.hget(lib.PREFIX + "delivery:" + i, "status") == b"delivered" for i in ids),
                 30, what="every entry delivered")
    assert all(h.r.llen(lib.PREFIX + "delivery:" + i + ":attempts") == 1 for i in ids)
    assert h.r.xpending(lib.PREFIX + "outbox", "webhooks")["pending"] == 0


def test_a_burst_of_entries_is_enqueued_in_pieces_each_once_in_order(hooks):
    """150 entries committed at once (one MULTI): the watch reads them
    READ_MAX at a time, so that no deliver.lua enqueue holds Redis (and the
    reports behind it) for the whole burst; every entry becomes one
    delivery, in order, sent once. Reads of 100 made a call of 100."""
    h = hooks()
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    lib.wait_for(lambda: watch_connections(h), 5, what="the watch blocked in Redis")
    box = lib.PREFIX + "outbox"
    fields = h.r.xrevrange(box, count=1)[0][1]
    with EnqueueCalls(h) as seen:
        p = h.r.pipeline(transaction=True)
        for _ in range(150):
            p.xadd(box, fields)
        ids = [i.decode() for i in p.execute()]
        h.sink.wait("/hooks/hr", 151, timeout=30)
        calls = seen.stop()
    assert_enqueued_in_pieces_and_delivered_once(h, calls, ids)
    # Each call acknowledges its entries and writes each index once (one
    # department here), not once an entry (150 XACKs, 150 ZADDs a key).
    # Only enqueue writes these three.
    pieces = len([c for c in calls if set(c) & set(ids)])
    for cmd, k in (("XACK", "outbox"), ("ZADD", "deliveries"), ("ZADD", "deliveries:dept:hr")):
        assert seen.writes.count([cmd, lib.PREFIX + k]) == pieces, (cmd, k, seen.writes.count([cmd, lib.PREFIX + k]), pieces)


def test_a_long_list_read_before_the_connection_was_lost_is_handed_over_in_pieces(hooks):
    """150 entries pending under the daemon's own name (read, never handed
    over, a daemon killed between pieces leaves the same): the new watch
    reads them READ_MAX at a time, each read going on after the last one
    read, and every one is delivered once. The watch read "0" once, then
    only new entries: those past its first read waited for a take-over."""
    h = hooks()
    me = delivered_once_and_watching(h)
    with EnqueueCalls(h) as seen:
        ids = outbox_copies_pending_for(h, me, 150)
        for cid in watch_connections(h):
            h.r.client_kill_filter(_id=cid)
        h.sink.wait("/hooks/hr", 151, timeout=30)
        calls = seen.stop()
    assert_enqueued_in_pieces_and_delivered_once(h, calls, ids)


def delivered_once_and_watching(h):
    """One report delivered, the watch blocked in Redis again: the daemon's
    name in the engine's group."""
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    lib.wait_for(lambda: watch_connections(h), 5, what="the watch blocked in Redis")
    me = [c["name"] for c in h.r.xinfo_consumers(lib.PREFIX + "outbox", "webhooks")]
    assert len(me) == 1, me
    return me[0]


def watch_connections(h):
    """Redis's ids of the connections blocked reading the engine's group."""
    return [c["id"] for c in h.r.client_list() if c["cmd"] == "xreadgroup" and "b" in c["flags"]]


def test_the_watch_hands_over_what_it_read_before_its_connection_was_lost(hooks):
    """The watch's connection blocks in XREADGROUP for the engine: what it
    read for this daemon and never handed over (its answer lost with the
    connection) is pending under the daemon's own name. A new watch takes
    those first: delivered in seconds, not after another daemon's 30 s
    take-over."""
    h = hooks()
    lost = outbox_copy_pending_for(h, delivered_once_and_watching(h))
    for cid in watch_connections(h):
        h.r.client_kill_filter(_id=cid)
    reqs = h.sink.wait("/hooks/hr", 2, timeout=10)
    assert reqs[1]["headers"]["webhook-id"] != reqs[0]["headers"]["webhook-id"]
    lib.wait_for(lambda: any(d["id"] == lost and d["status"] == "delivered"
                             for d in h.deliveries(department="hr")), 10, what="the lost entry delivered")
    assert h.r.xpending(lib.PREFIX + "outbox", "webhooks")["pending"] == 0


def test_a_report_filed_as_the_daemon_starts_is_pushed_at_once(hooks):
    """A daemon just started ticks its engine when the store is up and again
    when the group is ready, then starts its watch: a report filed the moment
    /healthz answers is pushed within a few round trips. It used to wait for
    the engine's 0.2 s ticks (the group made on one, read on the next: about
    0.35 s; push_latency.py's p99 was these first reports). The tick is
    stretched to 20 s here (a test hook): a push that waited for one would
    come 20 s or more after the 201, not a stopwatch's margin away."""
    lib.require_test_hooks()
    h = hooks()
    h.token("officer", "O001")          # issued now: no liaisonctl below
    status, err = h.d.terminate()
    assert status == 0, err[-2000:]
    lib.check_sanitizer_text(err, "liaisond (first run)")
    h.d.env = dict(h.d.env or os.environ, LIAISOND_TEST_TICK_MS="20000")
    h.d.start()
    h.file("O001", "hiring")
    filed = time.monotonic()
    req = h.sink.wait("/hooks/hr", 1, timeout=15)[0]
    assert req["at"] - filed < 10, "pushed %.1f s after the 201: it waited for a tick" % (req["at"] - filed)


def test_a_dead_daemons_unread_entries_are_taken_over(hooks):
    """An entry a daemon read (its watch, or its own read) and died before
    enqueuing stays pending under its name; once idle for 30 s another
    daemon takes it over (XAUTOCLAIM) and delivers it."""
    start = datetime.datetime.now(lib.TZ)
    h = hooks(clock_at=start)
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    lost = outbox_copy_pending_for(h, "gone-host:1")
    # Idle for a minute by Redis's clock; the daemon's own clock is moved
    # past its 30 s between two take-overs.
    h.r.xclaim(lib.PREFIX + "outbox", "webhooks", "gone-host:1", 0, [lost], idle=60000, justid=True)
    time.sleep(1.5)
    assert len(h.sink.at("/hooks/hr")) == 1, "taken over before it was idle"
    h.d.clock.set(start + datetime.timedelta(seconds=31))
    h.sink.wait("/hooks/hr", 2, timeout=10)
    lib.wait_for(lambda: any(d["id"] == lost and d["status"] == "delivered"
                             for d in h.deliveries(department="hr")), 10, what="the taken-over entry delivered")
    assert h.r.xpending(lib.PREFIX + "outbox", "webhooks")["pending"] == 0


def test_a_dead_daemons_entries_are_all_taken_over_in_pieces(hooks):
    """A dead daemon's 150 unread entries: taken over READ_MAX at a time, the
    next piece at once (not 30 s later), every one delivered once."""
    n = 150
    start = datetime.datetime.now(lib.TZ)
    h = hooks(clock_at=start)
    h.file("O001", "hiring")
    h.sink.wait("/hooks/hr", 1)
    ids = outbox_copies_pending_for(h, "gone-host:1", n)
    h.r.xclaim(lib.PREFIX + "outbox", "webhooks", "gone-host:1", 0, ids, idle=60000, justid=True)
    with EnqueueCalls(h) as seen:
        h.d.clock.set(start + datetime.timedelta(seconds=31))
        h.sink.wait("/hooks/hr", 1 + n, timeout=30)
        calls = seen.stop()
    # The clock's jump also restarts the watch (its read looks 31 s
    # overdue), and its read of its own pending entries may meet some the
    # take-over has just moved, before their enqueue: enqueued twice, one
    # delivery all the same.
    assert_enqueued_in_pieces_and_delivered_once(h, calls, ids, again_ok=True)


def test_deliveries_api_is_for_admins_and_checks_filters(hooks):
    h = hooks()
    h.file("O001", "hiring")
    r = h.d.get("/api/v1/deliveries", token=h.token("officer", "O001"))
    assert r.status == 403, r
    r = h.d.get("/api/v1/deliveries?status=lost", token=h.token("admin", "ops"))
    lib.assert_error(r, 422, "invalid", "status")
    r = h.d.get("/api/v1/deliveries?department=nope", token=h.token("admin", "ops"))
    lib.assert_error(r, 422, "invalid", "department")
    r = h.d.post("/api/v1/deliveries/123-0/retry", {}, token=h.token("admin", "ops"))
    lib.assert_error(r, 404, "not_found")


def test_a_burst_to_a_chat_robot_is_paced_and_merged(hooks):
    """WeCom takes about 20 messages a minute: messages to one robot are
    paced (3.5 s apart), and the events that wait for the robot's next turn
    go together, as one message."""
    h = hooks()
    h.file("O001", "land")                        # land is a WeCom robot here
    first = h.sink.wait("/hooks/land", 1)[0]
    for oid in ("O002", "O003", "O004"):
        h.file(oid, "land")
    reqs = h.sink.wait("/hooks/land", 2, timeout=15)
    time.sleep(1)
    reqs = h.sink.at("/hooks/land")
    assert len(reqs) == 2, [r["body"] for r in reqs]
    assert reqs[1]["at"] - first["at"] >= 3.0, "the robot was not paced"
    merged = json.loads(reqs[1]["body"])["markdown"]["content"]
    assert "3 条" in merged, merged
    lib.wait_for(lambda: all(d["status"] == "delivered" for d in h.deliveries(department="land")), 5)
    assert len(h.deliveries(department="land")) == 4


def metric(h, name, **labels):
    """The series name{labels} of GET /metrics, or None when it has none."""
    return lib.metric_series(h.d.metrics(), name, **labels)


def test_metrics_count_deliveries_by_department_and_outcome(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", (500, b"", {}, 0))
    h.file("O001", "hiring")
    h.file("O002", "tax")
    lib.wait_for(lambda: metric(h, "liaisond_webhook_deliveries_total", department="hr",
                                outcome="delivered") == 1, 10, what="hr delivered once")
    assert metric(h, "liaisond_webhook_deliveries_total", department="hr", outcome="retried") == 1
    lib.wait_for(lambda: metric(h, "liaisond_webhook_deliveries_total", department="tax",
                                outcome="delivered") == 1, 5, what="tax delivered")
    assert metric(h, "liaisond_webhook_pending", department="hr") == 0
    assert metric(h, "liaisond_webhook_pending", department="tax") == 0


# ---------------------------------------------------------------------------
# links (issue 19): SPEC §7's data.links, and chat links that land on the task


def test_standard_payload_data_carries_links_to_the_task_anchor(hooks):
    h = hooks()
    issue = h.file("O001", "hiring")
    tid = issue["tasks"][0]["id"]
    body = json.loads(h.sink.wait("/hooks/hr", 1)[0]["body"])
    links = body["data"]["links"]
    assert links["task"].startswith("http") and links["task"].endswith("/dept#task-" + tid), links
    assert links["department"] == links["task"].split("#")[0], links
    # (the department page gives each task the anchor task-ID: tests/browser/dept.test.mjs)


def test_chat_message_links_land_on_the_task(hooks):
    h = hooks()
    issue = h.file("O001", "land")             # land is a WeCom robot
    tid = issue["tasks"][0]["id"]
    body = json.loads(h.sink.wait("/hooks/land", 1)[0]["body"])
    content = body["markdown"]["content"]
    assert "/dept#task-" + tid in content, content
    assert "/dept#" + tid not in content, content


# ---------------------------------------------------------------------------
# a department's dead deliveries again in one call (issue 19)


def test_retry_all_dead_deliveries_of_a_department_in_one_call(hooks):
    h = hooks()
    h.sink.answer("/hooks/hr", *[(500, b"", {}, 0)] * 8)
    h.file("O001", "hiring")
    h.file("O002", "hiring")
    lib.wait_for(lambda: len([d for d in h.deliveries(department="hr") if d["status"] == "dead"]) == 2, 30,
                 what="two dead deliveries")
    tax_before = h.deliveries(department="tax")
    admin_tok = h.token("admin", "ops")
    r = h.d.post("/api/v1/deliveries/retry", {"department": "hr"}, token=admin_tok)
    assert r.status == 202, r
    assert r.json() == {"department": "hr", "retried": 2, "more": False}, r.json()
    lib.wait_for(lambda: all(d["status"] == "delivered" for d in h.deliveries(department="hr")), 15,
                 what="both delivered")
    assert h.deliveries(department="tax") == tax_before
    # nothing dead: nothing to do
    r = h.d.post("/api/v1/deliveries/retry", {"department": "hr"}, token=admin_tok)
    assert r.status == 202 and r.json()["retried"] == 0, r


@pytest.mark.parametrize("body,status,code,field", [
    ({"department": "nosuch"}, 422, "invalid", "department"),
    ({}, 422, "invalid", "department"),
    ({"department": "hr", "all": True}, 400, "bad_request", "all"),
    ({"department": 3}, 400, "bad_request", "department"),
])
def test_retry_a_department_refuses_bad_bodies_and_non_admins(hooks, body, status, code, field):
    h = hooks()
    admin_tok, hr_tok = h.token("admin", "ops"), h.token("department", "hr")
    before = lib.stable_snapshot(h.r)
    lib.assert_error(h.d.post("/api/v1/deliveries/retry", body, token=admin_tok), status, code, field)
    lib.assert_error(h.d.post("/api/v1/deliveries/retry", {"department": "hr"}, token=hr_tok), 403, "forbidden")
    lib.assert_unchanged(before, lib.redis_snapshot(h.r))


def quiet_window():
    """A [webhooks] quiet window a few minutes ahead of the zone's present
    minute, and its start and end (aware datetimes). The tests move the
    daemon's clock into it and past its end (lib.TestClock) instead of
    waiting for it; ten minutes leave a loaded machine time for the steps
    in between."""
    start = datetime.datetime.now(lib.TZ).replace(second=0, microsecond=0) + datetime.timedelta(minutes=2)
    end = start + datetime.timedelta(minutes=10)
    return "%s-%s" % (start.strftime("%H:%M"), end.strftime("%H:%M")), start, end


def attempt_times(d):
    return [datetime.datetime.fromisoformat(a["at"]) for a in d["attempts"]]


def test_quiet_hours_hold_chat_robots_until_the_end_then_merge(hooks):
    """SPEC §12 quiet hours: in quiet time a WeCom robot gets nothing but
    escalations, a standard endpoint gets its events at once; the held
    events survive a daemon restart and arrive, when the quiet time ends,
    as one merged message."""
    window, start, end = quiet_window()
    h = hooks(conf={"webhooks": {"schedule": SCHEDULE, "timeout_ms": 1000, "quiet": window},
                    "deadlines": {"respond_seconds": 2}},
              clock_at=start + datetime.timedelta(seconds=1))
    assert "test build: the clock is moved" in h.d.stderr(), h.d.stderr()
    h.file("O001", "land")                        # land is a WeCom robot here
    h.file("O002", "land")
    h.file("O001", "hiring")                      # hr is a standard endpoint
    h.sink.wait("/hooks/hr", 1)                   # standard: at once
    # Claimed and never responded to: escalated 2 s later, sent at once.
    r = claim_next(h, "land")
    assert r.status == 200, r
    esc = h.sink.wait("/hooks/land", 1, timeout=15)[0]
    assert "超期升级" in json.loads(esc["body"])["markdown"]["content"], esc["body"]

    def held():
        return [d for d in h.deliveries(department="land") if d["event"] != "task.escalated"]

    assert [d["event"] for d in held()] == ["task.queued"] * 2, held()
    for d in held():
        assert d["status"] == "pending" and d["attempts"] == [], d
        assert datetime.datetime.fromisoformat(d["next_at"]) == end, (d, end)
    # A restart in quiet time loses nothing.
    h.d.kill()
    h.d.checked = False
    h.d.start()
    assert h.d.clock.now() < end, "the quiet time ended during the test's steps"
    assert len(h.sink.at("/hooks/land")) == 1
    for d in held():
        assert d["status"] == "pending" and d["attempts"] == [], d
        assert datetime.datetime.fromisoformat(d["next_at"]) == end, (d, end)
    # The quiet time ends: the held events go as one merged message.
    h.d.clock.set(end)
    reqs = h.sink.wait("/hooks/land", 2, timeout=30)
    merged = json.loads(reqs[1]["body"])["markdown"]["content"]
    assert "%d 条" % len(held()) in merged, merged
    lib.wait_for(lambda: all(d["status"] == "delivered" for d in h.deliveries(department="land")), 10)
    for d in held():
        assert len(d["attempts"]) == 1 and attempt_times(d)[0] >= end, ("sent before the quiet time ended", d)
    time.sleep(1)
    assert len(h.sink.at("/hooks/land")) == 2, [r["body"] for r in h.sink.at("/hooks/land")]


def test_quiet_hours_hold_a_chat_robots_retry_that_falls_in_them(hooks):
    """A message to a robot fails just before the quiet time; its retry,
    due inside the quiet time, waits for the end of it."""
    # The retry comes 24 to 36 s after the first attempt (30 s ± 20 %):
    # a first attempt in the 20 s before the quiet time retries in it.
    window, start, end = quiet_window()
    h = hooks(conf={"webhooks": {"schedule": "0, 30", "timeout_ms": 1000, "quiet": window}},
              clock_at=start - datetime.timedelta(seconds=20))
    h.sink.answer("/hooks/land", (500, b"", {}, 0))
    h.file("O001", "land")
    h.sink.wait("/hooks/land", 1)
    lib.wait_for(lambda: h.deliveries(department="land")[0]["attempts"], 10)
    d = h.deliveries(department="land")[0]
    assert attempt_times(d)[0] < start, ("the first attempt came too late for this test", d)
    assert d["status"] == "pending" and datetime.datetime.fromisoformat(d["next_at"]) == end, (d, end)
    # Past the retry's own due time, still in the quiet time: the claim
    # that sends a standard endpoint's event (never held) leaves it.
    h.d.clock.set(start + datetime.timedelta(seconds=40))
    h.file("O002", "hiring")
    h.sink.wait("/hooks/hr", 1)
    h.d.clock.set(end)
    h.sink.wait("/hooks/land", 2, timeout=30)
    lib.wait_for(lambda: h.deliveries(department="land")[0]["status"] == "delivered", 10)
    d = h.deliveries(department="land")[0]
    assert len(d["attempts"]) == 2 and attempt_times(d)[1] >= end, ("retried in the quiet time", d)
