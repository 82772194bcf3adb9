"""Group commit (intake.c, issue 13): the reports ready in one turn of the
daemon's loop are stored by one workflow.lua call, yet each keeps its own
answer. Redis is paused (CLIENT PAUSE) while a burst arrives, so that the
burst reaches the daemon's loop together and is stored in few calls; the
metrics say how many. A report whose enterprises have nothing finished to
recur costs no recurrence read (MONITOR shows the calls)."""

import json
import threading
import time

import pytest

import lib
from lib import PREFIX


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of its own: the bursts add dozens of hr issues, which would
    push other modules' issues off /dept's list of a department's newest."""
    with lib.Stack(str(tmp_path_factory.mktemp("intake"))) as st:
        yield st


@pytest.fixture(scope="module")
def officers(stack):
    pool = [o["id"] for o in stack.roster["officers"]][1:]

    def take():
        return pool.pop(0)

    return take


def burst(stack, posts, pause_ms=400):
    """Send posts [(officer, body bytes, key)] at once while Redis is paused;
    the answers in the same order."""
    out = [None] * len(posts)
    start = threading.Barrier(len(posts) + 1)

    def one(i, oid, raw, key):
        start.wait(10)
        out[i] = stack.d.post("/api/v1/reports", raw, token=stack.token("officer", oid),
                              headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=one, args=(i,) + p) for i, p in enumerate(posts)]
    for t in threads:
        t.start()
    stack.r.execute_command("CLIENT", "PAUSE", str(pause_ms), "ALL")
    start.wait(10)
    for t in threads:
        t.join(30)
    return out


def batches(stack):
    m = stack.d.metrics()
    return (lib.metric(m, "liaisond_intake_batches_total"),
            lib.metric(m, "liaisond_intake_reports_total"))


def body(ent):
    return json.dumps({"items": [lib.item(ent)]}, ensure_ascii=False).encode()


def test_a_burst_of_reports_each_gets_its_own_answer(stack, officers):
    oids = [officers() for _ in range(4)]
    for oid in oids:                    # tokens first: they are Redis writes
        stack.token("officer", oid)
    posts = []
    for oid in oids:
        for ent in stack.officer(oid)["enterprises"][:4]:
            posts.append((oid, body(ent), lib.new_key()))
    # One report twice with the same key in the same burst: one is stored,
    # the other replays its answer.
    posts.append(posts[0])
    b0, n0 = batches(stack)
    answers = burst(stack, posts)
    b1, n1 = batches(stack)

    assert all(a is not None and a.status == 201 for a in answers), answers
    assert n1 - n0 == len(posts), (n0, n1)
    assert b1 - b0 < n1 - n0, "no two reports shared a call: %d calls for %d" % (b1 - b0, n1 - n0)
    replayed = [(a.header("idempotent-replayed") or "").lower() == "true"
                for a in (answers[0], answers[-1])]
    assert sorted(replayed) == [False, True], replayed
    assert answers[0].body == answers[-1].body
    reports = set()
    for (oid, raw, key), a in zip(posts[:-1], answers[:-1]):
        doc = a.json()
        reports.add(doc["report"])
        sent = json.loads(raw)["items"][0]
        issue = stack.d.get("/api/v1/issues/" + doc["issues"][0]["id"],
                            token=stack.token("officer", oid))
        assert issue.status == 200, issue
        got = issue.json()
        assert (got["officer"], got["enterprise"], got["title"]) == \
            (oid, sent["enterprise"], sent["title"]), (got, sent)
        idem = stack.r.hget(PREFIX + "idem:%s:%s" % (oid, key), "report")
        assert idem is not None and idem.decode() == doc["report"]
    assert len(reports) == len(posts) - 1, "two answers named the same report"


def test_a_failing_report_fails_alone_in_its_batch(stack, officers):
    good, bad = [officers() for _ in range(3)], officers()
    for oid in good + [bad]:
        stack.token("officer", oid)
    bad_key = lib.new_key()
    # A damaged idempotency record (a string where a hash belongs): the
    # script's first read of it fails, for this report only.
    stack.r.set(PREFIX + "idem:%s:%s" % (bad, bad_key), "damaged")
    posts = [(oid, body(ent), lib.new_key())
             for oid in good for ent in stack.officer(oid)["enterprises"][:3]]
    posts.insert(len(posts) // 2, (bad, body(stack.officer(bad)["enterprises"][0]), bad_key))
    b0, n0 = batches(stack)
    answers = burst(stack, posts)
    b1, n1 = batches(stack)

    for (oid, _, _), a in zip(posts, answers):
        if oid == bad:
            lib.assert_error(a, 500, "internal")
        else:
            assert a.status == 201, a
    assert b1 - b0 < n1 - n0, "the burst was not grouped: %d calls" % (b1 - b0)
    assert stack.r.zcard(PREFIX + "officer:%s:reports" % bad) == 0
    assert stack.r.get(PREFIX + "idem:%s:%s" % (bad, bad_key)) == b"damaged"


def script_calls(stack, post, batches=1):
    """Run post() under MONITOR; the daemon's script actions ("finished",
    "submit_batch" ...; EVALSHA, or FCALL of workflow.lua's Function) up to
    and including its batches-th store call."""
    seen = []
    deadline = time.monotonic() + 30
    with stack.r.monitor() as m:
        resp = post()
        while seen.count("submit_batch") + seen.count("submit") < batches:
            # other commands (the timers') keep MONITOR busy: a deadline,
            # so that a daemon that never stores fails the test
            assert time.monotonic() < deadline, "no store call seen: %s" % seen
            cmd = m.next_command()["command"].split()
            # EVALSHA sha numkeys key... prefix action ... (FCALL name ...)
            if len(cmd) > 3 and cmd[0] in ("EVALSHA", "FCALL") and \
                    cmd[2].isdigit():
                at = 3 + int(cmd[2]) + 1
                if len(cmd) > at:
                    seen.append(cmd[at])
    return resp, seen


def test_a_report_with_nothing_to_recur_skips_the_recurrence_read(stack, officers):
    oid = officers()
    tok = stack.token("officer", oid)
    ents = stack.officer(oid)["enterprises"]
    resp, calls = script_calls(stack, lambda: stack.d.post(
        "/api/v1/reports", {"items": [lib.item(ents[0])]}, token=tok))
    assert resp.status == 201, resp
    assert "finished" not in calls, calls

    # A finished issue of the enterprise in the window: the store sends the
    # report back (recheck) and the daemon reads before storing it.
    stack.r.zadd(PREFIX + "finished:" + ents[1], {"I999999": int(time.time() * 1000)})
    resp, calls = script_calls(stack, lambda: stack.d.post(
        "/api/v1/reports", {"items": [lib.item(ents[1])]}, token=tok), batches=2)
    assert resp.status == 201, resp
    assert calls.count("finished") == 1 and calls.count("submit_batch") == 2, calls
    assert len(stack.r.zrange(PREFIX + "officer:%s:reports" % oid, 0, -1)) == 2


def store_commands(stack, post, reports):
    """Run post() while MONITOR records; the daemon's submit_batch calls
    until they hold reports reports, each as (call, the commands its script
    ran)."""
    calls, done = [], threading.Event()

    def held():
        return sum(c.count('"officer":') for c, _ in calls)

    def watch():
        deadline = time.monotonic() + 30
        with stack.r.monitor() as m:
            ready.set()
            while held() < reports and time.monotonic() < deadline:
                cmd = m.next_command()
                if cmd.get("client_type") == "lua":
                    if calls:
                        calls[-1][1].append(cmd["command"])
                elif " submit_batch " in cmd["command"]:
                    calls.append((cmd["command"], []))
            # the last call's script commands come after it
            while time.monotonic() < deadline:
                cmd = m.next_command()
                if cmd.get("client_type") != "lua":
                    break
                calls[-1][1].append(cmd["command"])
        done.set()

    ready = threading.Event()
    t = threading.Thread(target=watch)
    t.start()
    assert ready.wait(10)
    out = post()
    t.join(35)
    assert done.is_set(), "the store calls were not seen: %s" % calls
    return out, calls


def burst_seen(stack, officers):
    """Three one-item reports each of two new officers in one burst, all
    201, under MONITOR: (posts, answers, store_commands' calls)."""
    oids = [officers() for _ in range(2)]
    for oid in oids:
        stack.token("officer", oid)
    posts = [(oid, body(ent), lib.new_key())
             for oid in oids for ent in stack.officer(oid)["enterprises"][:3]]
    answers, calls = store_commands(stack, lambda: burst(stack, posts), len(posts))
    assert all(a is not None and a.status == 201 for a in answers), answers
    return posts, answers, calls


def test_a_batch_sends_the_generations_constants_once(stack, officers):
    # The stages, rules and mail events every payload shares go once per
    # call (the first argument), not once per report.
    _, _, calls = burst_seen(stack, officers)
    assert max(c.count('"officer":') for c, _ in calls) > 1, "no batch of several"
    for c, _ in calls:
        assert c.count('"rules":') == 1 and c.count('"notify":') == 1, c[:300]


# A one-item report of one department stores its report, issue, task,
# history, indexes, queue and outbox entries and idempotency record in
# this many Redis commands at the most (57 before issue 13's cut, 33 after: a new
# task's no-op removals, one RPUSH per history entry, reads of what the
# script had just written, the trend rows of a count that did not change;
# 29 since the issue's hash is written once and the ledger's change index
# needs no reads back).
REPORT_COMMANDS = 30


def test_a_report_is_stored_in_few_commands(stack, officers):
    oid = officers()
    tok = stack.token("officer", oid)
    ent = stack.officer(oid)["enterprises"][0]
    post = lambda: stack.d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok,
                                headers={"Idempotency-Key": lib.new_key()})
    assert post().status == 201
    resp, calls = store_commands(stack, post, 1)
    assert resp.status == 201, resp
    assert len(calls) == 1, calls
    ran = calls[0][1]
    assert len(ran) <= REPORT_COMMANDS, "%d commands: %s" % (len(ran), ran)
    assert sum(1 for c in ran if c.startswith("RPUSH ")) == 1, ran
    assert not any(c.startswith("ZREM ") for c in ran), ran
    # a lone report's indexes, queue, deadline and counters still go in
    # one command a key; its ledger row needs no read back (ledger_note)
    assert not any(c.startswith(("HGET ", "HMGET " + PREFIX + "issue:")) for c in ran), ran


def batch_call(calls):
    """The submit_batch call of calls holding the most reports: (reports,
    the commands its script ran)."""
    call, ran = max(calls, key=lambda c: c[0].count('"officer":'))
    return call.count('"officer":'), ran


def test_a_batch_writes_each_shared_key_once(stack, officers):
    # The reports of one call add to the same indexes and counters: each
    # key gets one ZADD, SADD or HINCRBY for the whole batch (workflow.lua's
    # later), and every report is in every index as if stored alone.
    posts, answers, calls = burst_seen(stack, officers)
    n, ran = batch_call(calls)
    assert n > 1, "no batch of several: %s" % [c.count('"officer":') for c, _ in calls]

    def writes(cmd, k):
        return [c for c in ran if c.startswith("%s %s%s " % (cmd, PREFIX, k))]

    period = answers[0].json()["period"]
    for k in ("issues", "issues:period:" + period, "issues:state:queued", "deadlines",
              "reports:" + period):
        got = writes("ZADD", k)
        assert len(got) == 1 and len(got[0].split()) == 2 + 2 * n, (k, got)
    assert len(writes("SADD", "reported:" + period)) == 1, ran
    for field in ("report", "issue", "task"):
        assert sum(1 for c in writes("HINCRBY", "seq") if c.split()[2] == field) <= 2, ran
    # per report: its reads, hashes, queue and outbox entries, history
    # (12, a token read 13); once a call: the shared keys, a topic's trend row
    assert len(ran) <= 13 * n + 32, "%d commands for %d reports: %s" % (len(ran), n, ran)

    # and each report is where it would be had it been stored alone
    seq = {k.decode(): int(v) for k, v in stack.r.hgetall(PREFIX + "seq").items()}
    for (oid, _, _), a in zip(posts, answers):
        doc = a.json()
        report, issue = doc["report"], doc["issues"][0]
        iid, task = issue["id"], issue["tasks"][0]
        created = float(stack.r.hget(PREFIX + "issue:" + iid, "created"))
        for k in ("issues", "issues:period:" + period, "issues:officer:" + oid,
                  "issues:category:" + issue["category"], "issues:state:queued",
                  "issues:dept:" + task["department"]):
            assert stack.r.zscore(PREFIX + k, iid) == created, (k, iid)
        for k in ("reports:" + period, "officer:%s:reports" % oid):
            assert stack.r.zscore(PREFIX + k, report) == created, (k, report)
        assert stack.r.sismember(PREFIX + "reported:" + period, oid)
        assert stack.r.zscore(PREFIX + "open:" + task["department"], task["id"]) is not None
        due = stack.r.hget(PREFIX + "task:" + task["id"], "due_claim")
        assert stack.r.zscore(PREFIX + "deadlines", "claim:" + task["id"]) == float(due)
        assert stack.r.hget(PREFIX + "issue:" + iid, "tasks").decode() == json.dumps([task["id"]])
        assert stack.r.zscore(PREFIX + "ledger:changed:" + period, iid) is not None
        assert int(report[1:]) <= seq["report"] and int(iid[1:]) <= seq["issue"]
        assert int(task["id"][1:]) <= seq["task"]
    assert seq["report"] == max(int(a.json()["report"][1:]) for a in answers)
    assert seq["issue"] == max(int(a.json()["issues"][0]["id"][1:]) for a in answers)


def test_the_item_cap_counts_the_earlier_reports_of_its_batch(tmp_path):
    # The cap's count of a report held for the batch's end (later_incr) is
    # still seen by the next report of the same officer in the batch.
    with lib.Stack(str(tmp_path), conf={"limits": {"items_per_period": 3}}) as st:
        oid = st.roster["officers"][1]["id"]
        ent = st.officer(oid)["enterprises"][0]
        st.token("officer", oid)
        posts = [(oid, body(ent), lib.new_key()) for _ in range(5)]
        b0, n0 = batches(st)
        answers = burst(st, posts)
        b1, n1 = batches(st)
        assert b1 - b0 < n1 - n0, "the burst was not grouped: %d calls" % (b1 - b0)
        codes = sorted(a.status for a in answers)
        assert codes == [201, 201, 201, 429, 429], [(a.status, a.body) for a in answers]
        period = next(a for a in answers if a.status == 201).json()["period"]
        assert st.r.hget(PREFIX + "items:" + period, oid) == b"3"
        assert st.r.zcard(PREFIX + "officer:%s:reports" % oid) == 3
