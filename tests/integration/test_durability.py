"""Kill -9 redis-server and liaisond in the middle of a burst of submissions:
every acknowledged (201) report survives with its issues and tasks, and no
submission is stored twice (resubmitting with the same Idempotency-Key gives
the same report; the number of stored reports equals the number of distinct
keys ever sent, but for zero reports refused because their officer had
already reported issues, which store nothing)."""

import http.client
import json
import random
import threading

import lib
from lib import PREFIX

THREADS = 8
ACKS_BEFORE_KILL = 60


def make_body(rng, ents):
    n = rng.randint(0, 3)
    topics = ["hiring", "tax", "planning", "financing", "other"]
    items = [lib.item(rng.choice(ents), topic=rng.choice(topics), rng=rng) for _ in range(n)]
    return json.dumps({"items": items}, ensure_ascii=False).encode()


def refused_zero(raw, resp):
    """A zero report refused because the officer already reported issues
    for the period (409 already_reported): stored nothing, and is refused
    again on a resend."""
    return resp.status == 409 and not json.loads(raw)["items"] and resp.json()["error"]["code"] == "already_reported"


def test_kill_both_mid_burst(fresh_stack):
    st = fresh_stack()
    roster = st.roster
    offs = [o["id"] for o in roster["officers"][10:10 + THREADS]]
    toks = {oid: st.token("officer", oid) for oid in offs}
    lock = threading.Lock()
    attempts = {}    # key -> (officer, raw body): every key that may have reached the daemon
    acked = {}       # key -> 201 body
    unexpected = []
    stop = threading.Event()

    def worker(i):
        rng = random.Random(i)
        oid = offs[i]
        ents = st.officer(oid)["enterprises"]
        while not stop.is_set():
            key = lib.new_key()
            raw = make_body(rng, ents)
            with lock:
                attempts[key] = (oid, raw)
            try:
                resp = lib.request(st.d.port, "POST", "/api/v1/reports", body=raw, token=toks[oid],
                                   headers={"Idempotency-Key": key}, timeout=10)
            except (OSError, http.client.HTTPException):
                continue  # killed mid-request: outcome unknown, checked after restart
            if resp.status == 201:
                with lock:
                    acked[key] = resp.body
            elif refused_zero(raw, resp):
                continue  # a zero report after the officer's issues: refused, nothing stored
            elif resp.status != 503:
                with lock:
                    unexpected.append(resp)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    try:
        lib.wait_for(lambda: len(acked) >= ACKS_BEFORE_KILL or unexpected, 60,
                     what="%d acknowledged reports" % ACKS_BEFORE_KILL)
        # both die at once, mid-burst
        st.redis.kill()
        st.d.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not unexpected, unexpected[:3]
    print("durability: %d keys sent, %d acknowledged before the kill" % (len(attempts), len(acked)))
    lib.check_sanitizer_text(st.d.stderr(), "liaisond (first run)")
    acked_snapshot = dict(acked)

    st.redis.start()
    st.d.start()
    r = st.r

    # 1. every 201 is on disk with everything it promised
    for key, raw_resp in acked_snapshot.items():
        doc = json.loads(raw_resp)
        oid = attempts[key][0]
        rid = doc["report"]
        assert r.exists(PREFIX + "report:" + rid), "acknowledged report %s lost" % rid
        assert r.zscore(PREFIX + "officer:%s:reports" % oid, rid) is not None
        for iss in doc["issues"]:
            assert r.type(PREFIX + "issue:" + iss["id"]) == b"hash", "issue %s of %s lost" % (iss["id"], rid)
            for t in iss["tasks"]:
                assert r.type(PREFIX + "task:" + t["id"]) == b"hash", "task %s lost" % t["id"]
                assert t["id"] in lib.stream_tasks(r, t["department"]), \
                    "task %s not in %squeue:%s" % (t["id"], PREFIX, t["department"])

    # 2. resubmit every key: acknowledged ones replay, unknown ones are created now
    final = {}
    for key, (oid, raw) in attempts.items():
        resp = lib.request(st.d.port, "POST", "/api/v1/reports", body=raw, token=toks[oid],
                           headers={"Idempotency-Key": key})
        if key not in acked_snapshot and refused_zero(raw, resp):
            continue
        assert resp.status == 201, (key, resp)
        final[key] = resp.json()
        if key in acked_snapshot:
            assert resp.body == acked_snapshot[key], "replay differs after restart for %s" % key
            assert (resp.header("idempotent-replayed") or "").lower() == "true"

    # 3. exactly one report per key, and nothing else
    rids = [d["report"] for d in final.values()]
    assert len(set(rids)) == len(rids), "two keys share a report"
    stored = lib.report_keys(r)
    assert stored == set(rids), "stored reports without a key (duplicates): %s; missing: %s" % (
        sorted(stored - set(rids))[:5], sorted(set(rids) - stored)[:5])
    n_items = sum(len(json.loads(attempts[k][1])["items"]) for k in final)
    assert len(lib.issue_keys(r)) == n_items, "issues stored %d, items sent %d" % (len(lib.issue_keys(r)), n_items)
    for oid in offs:
        mine = {d["report"] for k, d in final.items() if attempts[k][0] == oid}
        got = {m.decode() for m in r.zrange(PREFIX + "officer:%s:reports" % oid, 0, -1)}
        assert got == mine, oid

    # 4. every queue holds each of its tasks exactly once
    tasks_by_dept = {}
    for d in final.values():
        for iss in d["issues"]:
            for t in iss["tasks"]:
                tasks_by_dept.setdefault(t["department"], set()).add(t["id"])
    for dept, want in tasks_by_dept.items():
        got = lib.stream_tasks(r, dept)
        assert len(got) == len(set(got)), "duplicate task entries in %squeue:%s" % (PREFIX, dept)
        assert set(got) == want, "queue:%s holds %s, expected %s" % (
            dept, sorted(set(got) - want)[:5], sorted(want - set(got))[:5])
    assert st.d.get("/healthz").status == 200
