"""Retention (SPEC §14, issue 12): Redis does not grow with time for a
steady workload.

Days are seconds here: a delivery is kept [retention] delivery_seconds after
it ends, and the sweep runs every sweep_seconds. Each "day" officers report,
hr claims, responds and resolves every task, and every event is delivered to
hr's webhook. What the SPEC keeps (reports, issues, tasks, history) grows
one day's worth a day; what it does not keep (deliveries, their attempts,
outbox and queue stream entries) stays at most one day's worth, and what
expires (idempotency records, sessions) carries its expiry.
"""

import re
import threading
import time

import lib
from flow import act_ok, admin, claim_next, second_daemon, submit, web_login

KEEP_S = 2                   # a delivery's life after it ended
SWEEP_S = 1
CONF = {"retention": {"delivery_seconds": KEEP_S, "sweep_seconds": SWEEP_S}}
DAYS = 5
PER_DAY = 4                  # issues a day, each one hr task

# Key shapes (digit runs as #) the SPEC keeps for ever: the ledger.
KEPT = {"report:R#", "issue:I#", "issue:I#:history", "task:T#"}
# Shapes that must not outlive their retention.
SWEPT = {"delivery:#-#", "delivery:#-#:attempts"}


def shape(key):
    k = key.decode()[len(lib.PREFIX):]
    return re.sub(r"\d+", "#", k)


def census(r):
    """{shape: [keys]} of every key under the prefix."""
    out = {}
    for k in r.scan_iter(lib.PREFIX + "*", count=1000):
        out.setdefault(shape(k), []).append(k)
    return out


def deliveries(r):
    return {m.decode() for m in r.zrange(lib.PREFIX + "deliveries", 0, -1)}


def one_day(st, day, officers):
    """PER_DAY issues reported, each hr task taken to resolved; the ids of
    the issues."""
    iids = []
    for n in range(PER_DAY):
        oid, ent = officers[n]
        doc = submit(st, oid, [lib.item(ent)], key="day%d-%d" % (day, n))
        iids.append(doc["issues"][0]["id"])
    assert st.r.xlen(lib.PREFIX + "queue:hr") == PER_DAY, "queued tasks are in the stream"
    for _ in range(PER_DAY):
        resp = claim_next(st, "hr")
        assert resp.status == 200, resp
        act_ok(st, resp.json()["id"], "respond")
        act_ok(st, resp.json()["id"], "resolve")
    # a claimed task's entry leaves the queue stream at once
    assert st.r.xlen(lib.PREFIX + "queue:hr") == 0
    return iids


def ended(st):
    """Deliveries made so far that were delivered or died (webhooks:stats):
    a count the sweep cannot take back, unlike the deliveries still stored."""
    stats = st.r.hgetall(lib.PREFIX + "webhooks:stats")
    return int(stats.get(b"hr:delivered", b"0")) + int(stats.get(b"hr:dead", b"0"))


def all_delivered(st):
    stats = st.r.hgetall(lib.PREFIX + "webhooks:stats")
    return int(stats.get(b"hr:pending", b"0")) == 0 and st.r.xlen(lib.PREFIX + "outbox") == 0


def test_steady_workload_keeps_the_ledger_and_sweeps_the_rest(tmp_path):
    with lib.Stack(str(tmp_path), conf=CONF) as st:
        officers = [(o["id"], o["enterprises"][0]) for o in st.roster["officers"][:PER_DAY]]
        cookie = web_login(st, st.token("officer", officers[0][0]))
        sizes = []
        for day in range(DAYS):
            before, ended_before = deliveries(st.r), ended(st)
            one_day(st, day, officers)
            # every event delivered, and its outbox entry trimmed by the sweep
            lib.wait_for(lambda: all_delivered(st), 20, what="day %d delivered and trimmed" % day)
            today = deliveries(st.r) - before
            # yesterday's deliveries are gone KEEP_S after they ended
            lib.wait_for(lambda: deliveries(st.r) <= today, 20, what="day %d: older deliveries swept" % day)
            c = census(st.r)
            sizes.append({s: len(c.get(s, [])) for s in KEPT | SWEPT})
            sizes[-1]["outbox"] = st.r.xlen(lib.PREFIX + "outbox")
            sizes[-1]["queue"] = st.r.xlen(lib.PREFIX + "queue:hr")
            sizes[-1]["day"] = ended(st) - ended_before
            sizes[-1]["memory"] = st.r.info("memory")["used_memory"]
        for d in sizes:
            print("retention: %s" % d)
        made = ended(st)
        assert made >= DAYS * PER_DAY, "one delivery a task.queued at least: %d" % made
        # the ledger grows by one day a day
        for s in sorted(KEPT):
            assert [d[s] for d in sizes] == [PER_DAY * (i + 1) for i in range(DAYS)], (s, sizes)
        # the rest stays at one day's worth at most
        for s in SWEPT:
            assert all(0 < d["day"] and d[s] <= d["day"] for d in sizes), (s, sizes)
        assert all(d["outbox"] == 0 and d["queue"] == 0 for d in sizes), sizes

        # at the end nothing of the deliveries is left, and each was counted once
        lib.wait_for(lambda: not deliveries(st.r), 20, what="the last deliveries swept")
        c = census(st.r)
        assert not [s for s in c if s.startswith("delivery:")], sorted(c)
        assert st.r.zcard(lib.PREFIX + "deliveries:ended") == 0
        assert st.r.zcard(lib.PREFIX + "deliveries:dept:hr") == 0
        m = st.d.metrics()
        assert lib.metric(m, "liaisond_retention_removed_total", kind="delivery") == made
        assert lib.metric(m, "liaisond_retention_removed_total", kind="outbox") == made

        # every per-record key grown with the days is the ledger's or expires
        for s, keys in c.items():
            if s in KEPT or "#" not in s:
                continue
            if len(keys) < DAYS:
                continue
            ttls = [st.r.ttl(k) for k in keys]
            assert all(t > 0 for t in ttls), "%s: %d keys, some without expiry" % (s, len(keys))
        idem = c.get("idem:O#:day#-#", [])
        assert len(idem) == DAYS * PER_DAY and all(st.r.ttl(k) > 0 for k in idem), len(idem)
        sid = cookie.split("=", 1)[1]
        assert st.r.ttl(lib.PREFIX + "session:" + sid) > 0


def test_a_retried_delivery_is_kept_from_its_new_end(tmp_path):
    """A dead delivery an admin retries leaves the sweep's list while pending;
    one that ended before the list existed is entered, not removed at once."""
    with lib.Stack(str(tmp_path), conf={"retention": {"delivery_seconds": 3600, "sweep_seconds": SWEEP_S}}) as st:
        r, P = st.r, lib.PREFIX
        oid, ent = st.roster["officers"][0]["id"], st.roster["officers"][0]["enterprises"][0]
        submit(st, oid, [lib.item(ent)])
        lib.wait_for(lambda: all_delivered(st), 20, what="delivered")
        (did,) = deliveries(r)
        assert r.zscore(P + "deliveries:ended", did) is not None
        # as stored before retention: no entry in the list, made long ago
        r.zrem(P + "deliveries:ended", did)
        r.zadd(P + "deliveries", {did: 1000})
        lib.wait_for(lambda: r.zscore(P + "deliveries:ended", did) is not None, 10,
                     what="an old delivery entered in the list")
        assert r.exists(P + "delivery:" + did) and r.exists(P + "delivery:%s:attempts" % did)
        # a retry makes it pending again: out of the list until it ends again
        resp = st.d.post("/api/v1/deliveries/%s/retry" % did, {}, token=admin(st))
        assert resp.status in (200, 202), resp
        lib.wait_for(lambda: r.hget(P + "delivery:" + did, "status") == b"delivered" and
                     int(r.hget(P + "delivery:" + did, "attempts")) == 2, 20, what="delivered again")
        assert r.zscore(P + "deliveries:ended", did) is not None


def test_two_daemons_without_the_lease_still_remove_each_record_once(tmp_path):
    """The lease taken away again and again, so that both daemons sweep the
    same deliveries at once: each is removed (and counted) once, because a
    sweep is one Lua transaction."""
    with lib.Stack(str(tmp_path / "one"), conf=CONF, start=False) as st:
        other = second_daemon(st, str(tmp_path / "two"))
        st.d.start()
        other.start()
        stop = threading.Event()

        def steal():
            while not stop.is_set():
                st.r.delete(lib.PREFIX + "retention:lease")
                time.sleep(0.02)

        thief = threading.Thread(target=steal, daemon=True)
        try:
            officers = [(o["id"], o["enterprises"][0]) for o in st.roster["officers"][:12]]
            thief.start()
            for i, (oid, ent) in enumerate(officers):
                submit(st, oid, [lib.item(ent)], via=other if i % 2 else None)
            lib.wait_for(lambda: all_delivered(st) and not deliveries(st.r), 30, what="delivered and swept")
            made = ended(st)
            lib.wait_for(lambda: sum(lib.metric(d.metrics(), "liaisond_retention_removed_total",
                                                kind="delivery") for d in (st.d, other)) >= made, 10,
                         what="the sweeps counted")
            time.sleep(2 * SWEEP_S)      # both sweep again: nothing more
            ms = [d.metrics() for d in (st.d, other)]
            removed = [lib.metric(m, "liaisond_retention_removed_total", kind="delivery") for m in ms]
            assert sum(removed) == made == len(officers), removed
            outbox = [lib.metric(m, "liaisond_retention_removed_total", kind="outbox") for m in ms]
            assert sum(outbox) == made, outbox
        finally:
            stop.set()
            thief.join(5)
            other.stop_and_check()


def test_two_daemons_sweep_each_record_once(tmp_path):
    with lib.Stack(str(tmp_path / "one"), conf=CONF, start=False) as st:
        other = second_daemon(st, str(tmp_path / "two"))
        st.d.start()
        other.start()
        try:
            officers = [(o["id"], o["enterprises"][0]) for o in st.roster["officers"][:6]]
            for i, (oid, ent) in enumerate(officers):
                submit(st, oid, [lib.item(ent)], via=other if i % 2 else None)
            lib.wait_for(lambda: all_delivered(st), 20, what="delivered and trimmed")
            made = ended(st)
            assert made == len(officers)
            lib.wait_for(lambda: not deliveries(st.r), 20, what="swept")
            lib.wait_for(lambda: sum(lib.metric(d.metrics(), "liaisond_retention_removed_total",
                                                kind="delivery") for d in (st.d, other)) >= made, 10,
                         what="the sweeps counted")
            ms = [d.metrics() for d in (st.d, other)]
            removed = [lib.metric(m, "liaisond_retention_removed_total", kind="delivery") for m in ms]
            assert sum(removed) == made, removed
            # one daemon holds the lease and does all the sweeping
            assert 0 in removed, removed
            assert st.r.get(lib.PREFIX + "retention:lease") is not None
            outbox = [lib.metric(m, "liaisond_retention_removed_total", kind="outbox") for m in ms]
            assert sum(outbox) == made, outbox
        finally:
            other.stop_and_check()


def test_a_long_outbox_backlog_is_trimmed_in_batches(tmp_path):
    """1,200 entries read long ago (as after an upgrade): trimmed 100 a call
    (a call of 500 held Redis 2.4 ms), the next call at once, until none is
    left."""
    with lib.Stack(str(tmp_path), conf=CONF, start=False) as st:
        box = lib.PREFIX + "outbox"
        p = st.r.pipeline()
        for i in range(1200):
            p.xadd(box, {"event": "task.queued", "task": "T%d" % i, "department": "hr", "issue": "I%d" % i})
        p.execute()
        st.r.xgroup_create(box, "webhooks", id="$")      # every entry read and acknowledged
        st.start()
        lib.wait_for(lambda: st.r.xlen(box) == 0, 20, what="the backlog trimmed")
        lib.wait_for(lambda: lib.metric(st.d.metrics(), "liaisond_retention_removed_total", kind="outbox") == 1200,
                     5, what="1,200 counted")
        log = st.d.stderr()
        assert log.count("removed 0 deliveries and 100 outbox entries") == 12, log[-2000:]
        assert "outbox entries" not in log.replace("removed 0 deliveries and 100 outbox entries", ""), log[-2000:]
