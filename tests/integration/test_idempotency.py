"""Idempotency-Key: a replay returns the first answer byte for byte and stores
nothing; the same key with another body is a 409 that changes nothing."""

import json

import lib
from lib import PREFIX


def post(stack, oid, raw, key):
    return stack.d.post("/api/v1/reports", raw, token=stack.token("officer", oid),
                        headers={"Idempotency-Key": key})


def test_replay_same_body(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    raw = json.dumps({"items": [lib.item(ents[0]), lib.item(ents[1], topic="planning")]},
                     ensure_ascii=False).encode()
    key = lib.new_key()
    first = post(stack, oid, raw, key)
    assert first.status == 201, first
    assert (first.header("idempotent-replayed") or "").lower() != "true"
    doc = first.json()
    idem = stack.r.hgetall(PREFIX + "idem:%s:%s" % (oid, key))
    assert idem, "no %sidem:%s:%s stored" % (PREFIX, oid, key)
    assert stack.r.ttl(PREFIX + "idem:%s:%s" % (oid, key)) > 0, "idempotency record has no TTL"

    before = lib.stable_snapshot(stack.r)
    for _ in range(3):
        again = post(stack, oid, raw, key)
        assert again.status == 201, again
        assert again.body == first.body, (first.body, again.body)
        assert (again.header("idempotent-replayed") or "").lower() == "true", again.header_list
        assert again.header("content-type") == first.header("content-type")
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))
    # one report, as the officer's list shows
    rows = stack.d.get("/api/v1/reports", token=stack.token("officer", oid)).json()["reports"]
    assert [r["id"] for r in rows] == [doc["report"]], rows


def test_same_key_different_body_conflict(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    key = lib.new_key()
    raw1 = json.dumps({"items": [lib.item(ents[0])]}, ensure_ascii=False).encode()
    first = post(stack, oid, raw1, key)
    assert first.status == 201, first

    before = lib.stable_snapshot(stack.r)
    raw2 = json.dumps({"items": [lib.item(ents[1])]}, ensure_ascii=False).encode()
    lib.assert_error(post(stack, oid, raw2, key), 409, "conflict")
    # a zero report is a different body too
    lib.assert_error(post(stack, oid, b'{"items":[]}', key), 409, "conflict")
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))

    # the original is still what the key answers
    again = post(stack, oid, raw1, key)
    assert again.status == 201 and again.body == first.body, again


def test_keys_are_per_officer(stack, officers):
    a, b = officers(), officers()
    key = lib.new_key()
    ra = post(stack, a, json.dumps({"items": []}).encode(), key)
    rb = post(stack, b, json.dumps({"items": []}).encode(), key)
    assert ra.status == 201 and rb.status == 201, (ra, rb)
    assert (rb.header("idempotent-replayed") or "").lower() != "true"
    assert ra.json()["report"] != rb.json()["report"]


def test_no_key_means_no_dedup(stack, officers):
    oid = officers()
    raw = b'{"items":[]}'
    r1 = stack.d.post("/api/v1/reports", raw, token=stack.token("officer", oid))
    r2 = stack.d.post("/api/v1/reports", raw, token=stack.token("officer", oid))
    assert r1.status == 201 and r2.status == 201
    assert r1.json()["report"] != r2.json()["report"]


def test_failed_request_is_not_remembered(stack, officers):
    """A key first used with an invalid body is not burnt: the valid body with
    the same key then succeeds (a failed request stores nothing, not even the key)."""
    oid = officers()
    key = lib.new_key()
    lib.assert_error(post(stack, oid, b'{"items":[], "period": "2026-13-1"}', key), 422, "invalid")
    ok = post(stack, oid, b'{"items":[]}', key)
    assert ok.status == 201, ok
    assert (ok.header("idempotent-replayed") or "").lower() != "true"


def test_concurrent_same_key_stores_once(stack, officers):
    """Ten identical requests with one key at once (a double tap on a flaky
    network): one report, and every 201 carries the same body."""
    import threading

    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    raw = json.dumps({"items": [lib.item(ents[0]), lib.item(ents[1])]}, ensure_ascii=False).encode()
    key = lib.new_key()
    go = threading.Event()
    out = []

    def one():
        go.wait(10)
        out.append(post(stack, oid, raw, key))

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(30)
    assert len(out) == 10
    ok = [r for r in out if r.status == 201]
    # a request racing the first may be told 409 (in progress); none may create a second report
    assert ok and all(r.status in (201, 409) for r in out), out
    assert len({r.body for r in ok}) == 1, {r.body for r in ok}
    stored = stack.r.zrange(PREFIX + "officer:%s:reports" % oid, 0, -1)
    assert len(stored) == 1, stored
    assert len(lib.issue_keys(stack.r) & {i["id"] for r in ok for i in r.json()["issues"]}) == 2
