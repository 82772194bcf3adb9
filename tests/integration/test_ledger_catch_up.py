"""The cached public ledger is caught up from the changes alone (issue 12):
after one whole read, a daemon reads only the issues changed since (the
period's change index, written by every script that changes an issue) and
patches its copy. What it answers must be what a whole read gives: here two
daemons share a Redis, issues are changed through both while both are read,
and then each one's ledger is compared with a third daemon's that caches
nothing (`cache_ms = 0`: a whole read per request).
"""

import re
import threading
import time

import lib
from flow import second_daemon, submit
from test_abuse import Monitor, ledger_reads

CACHE_MS = 300
ISSUES = 1000    # five slices of 200: a whole read is several calls


def whole_ledger(d):
    """Every row of d's public ledger (paged) and its figures."""
    rows, offset = [], 0
    while True:
        resp = d.get("/api/v1/ledger?limit=500&offset=%d" % offset)
        assert resp.status == 200, resp
        doc = resp.json()
        rows += doc.pop("issues")
        total = int(resp.header("x-total-count"))
        offset += 500
        if offset >= total:
            break
    doc.pop("generated", None)
    doc["issues"] = rows
    return doc


# Filtered pages too: each filter is its own rendering (ledger_memo.c), and
# its own index of the held copy (ledger_index.c), patched with the changes:
# pages deep into the period and near its end as well as its first.
QUERIES = ("?department=tax", "?department=land&state=resolved", "?state=queued",
           "?category=individual&limit=7&offset=3", "?department=hr&offset=2",
           "?department=land&limit=13&offset=250", "?department=tax&state=queued&limit=9&offset=120",
           "?state=resolved&limit=11&offset=5", "?category=individual&department=build&limit=17&offset=400",
           "?limit=10&offset=777", "?state=claimed&limit=3&offset=1")
# What the readers ask while the changes run: every filter above, in turn,
# its offset moving, so that the indexes are made before the changes and
# patched by them.
FILTERS = ("", "department=tax&", "department=land&state=resolved&", "state=queued&", "category=individual&",
           "department=land&", "department=tax&state=queued&", "state=resolved&",
           "category=individual&department=build&", "state=claimed&", "department=hr&")
READ_WHILE = tuple("/api/v1/ledger?%slimit=5&offset=%d" % (f, k * 37) for k, f in enumerate(FILTERS))
TIME_RE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?\S*")


def every_answer(d):
    """Every ledger answer of d: the whole JSON ledger (paged), filtered
    pages with their counts, and the HTML page (its time of reading
    taken out), unfiltered and filtered."""
    out = {"whole": whole_ledger(d)}
    for q in QUERIES:
        resp = d.get("/api/v1/ledger" + q)
        assert resp.status == 200, resp
        doc = resp.json()
        doc.pop("generated", None)
        out[q] = (resp.header("x-total-count"), doc)
    for q in ("", "?department=tax"):
        resp = d.get("/ledger" + q)
        assert resp.status == 200, resp
        out["html" + q] = TIME_RE.sub("TIME", resp.body.decode())
    return out


def assert_same_answers(got, truth):
    for k in truth:
        assert got[k] == truth[k], k


def daemon_with(st, workdir, cache_ms):
    d = second_daemon(st, workdir)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("cache_ms = %d" % CACHE_MS, "cache_ms = %d" % cache_ms))
    return d


def changer(st, via, dept, stop, done):
    """Claim, respond and resolve dept's tasks through daemon via, and file
    a new issue now and then, until stop is set."""
    tok = st.token("department", dept)
    o = st.roster["officers"][1]
    n = 0
    while not stop.is_set():
        resp = via.post("/api/v1/departments/%s/claim" % dept, {"claimant": "赵六"}, token=tok)
        assert resp.status in (200, 204, 404), resp   # 204: the queue is empty
        if resp.status == 200:
            tid = resp.json()["id"]
            for action, field in (("respond", "response"), ("resolve", "resolution")):
                resp = via.post("/api/v1/tasks/%s/%s" % (tid, action), {field: lib.safe_text(12)}, token=tok)
                assert resp.status == 200, resp
        n += 1
        if n % 5 == 0:
            submit(st, o["id"], [lib.item(o["enterprises"][n % len(o["enterprises"])], topic="tax")], via=via)
        done.append(n)


def changes_and_reads(st, other, readers, query, seconds, pause=0.0, late=None):
    """land's tasks changed through st.d and tax's through other, while
    readers (daemons) read query, for seconds; returns how many changes
    were made. late, if given, is started (late.start()) once the changes
    run, and read too: a daemon reads its period whole as it starts (the
    warm-up), so its whole read is one that changes come during. A
    failure in any thread fails the test."""
    stop, done, errors = threading.Event(), [], []

    def run(fn, *args):
        try:
            fn(*args)
        except BaseException as e:     # reported below
            errors.append(e)
            stop.set()

    def reader(d):
        k = 0
        while not stop.is_set():
            resp = d.get(query if isinstance(query, str) else query[k % len(query)])
            assert resp.status == 200, resp
            k += 1
            time.sleep(pause)

    workers = [threading.Thread(target=run, args=(changer, st, st.d, "land", stop, done)),
               threading.Thread(target=run, args=(changer, st, other, "tax", stop, done))]
    workers += [threading.Thread(target=run, args=(reader, d)) for d in readers]
    for w in workers:
        w.start()
    if late is not None:
        lib.wait_for(lambda: len(done) >= 2, 10, what="the changes under way")
        late.start()
        workers.append(threading.Thread(target=run, args=(reader, late)))
        workers[-1].start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(30)
    assert not errors, errors
    return len(done)


def test_cached_ledgers_of_two_daemons_equal_a_whole_read_after_changes_during_reads(tmp_path):
    with lib.Stack(str(tmp_path), conf={"ledger": {"cache_ms": str(CACHE_MS)}}) as st:
        officers = st.roster["officers"]
        for k in range(ISSUES // 50):
            o = officers[k % len(officers)]
            # planning: a task for land and one for build, so that land's
            # steps change a task and not the issue's own hash
            topic = "planning" if k % 2 else "tax"
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic=topic)
                                 for i in range(50)])
        other = second_daemon(st, str(tmp_path / "other")).start()
        whole = daemon_with(st, str(tmp_path / "whole"), 0).start()
        # st.d and other read the period whole as they started (the
        # warm-up), before any change; late starts while the changes run
        late = second_daemon(st, str(tmp_path / "late"))
        try:
            mon = Monitor(st)
            try:
                for d in (st.d, other):     # the filters' indexes, before the changes
                    every_answer(d)
                n = changes_and_reads(st, other, (st.d, other, st.d, other), ("/api/v1/ledger?limit=10",)
                                      + READ_WHILE, 4, late=late)
            finally:
                lines = mon.close()
            assert n >= 10, "only %d changes" % n
            # late's first whole read ran while the issues changed
            calls = [x for x in lines if '"EVALSHA"' in x]
            slices = [i for i, x in enumerate(calls) if '"period"' in x]
            reads = set(ledger_reads(calls))
            changes_during = [x for x in calls[slices[0]:slices[-1]] if x not in reads]
            assert changes_during, "no change came during a whole read"
            assert any('"changes"' in x for x in calls), "no catch-up"
            # once quiet: every cached ledger is what a whole read gives
            time.sleep(CACHE_MS / 1000 + 0.2)
            truth = whole_ledger(whole)
            assert len(truth["issues"]) > ISSUES
            for d in (st.d, other, late):
                got = whole_ledger(d)
                assert [r["id"] for r in got["issues"]] == [r["id"] for r in truth["issues"]]
                assert got == truth
            truth = every_answer(whole)
            for d in (st.d, other, late):
                assert_same_answers(every_answer(d), truth)
            # a change through one daemon shows at once there, and on the
            # other within cache_ms, as one issue's read
            tok = st.token("department", "land")
            resp = other.post("/api/v1/departments/land/claim", {"claimant": "钱七"}, token=tok)
            assert resp.status == 200, resp
            tid = resp.json()["id"]
            mon = Monitor(st)
            time.sleep(CACHE_MS / 1000 + 0.2)
            for d in (other, st.d):
                doc = whole_ledger(d)
                assert any(t["id"] == tid and t["state"] == "claimed" for r in doc["issues"]
                           for t in r["tasks"]), tid
            reads = ledger_reads(mon.close())
            assert reads and all('"changes"' in x for x in reads), reads
            assert whole_ledger(st.d) == whole_ledger(whole)
        finally:
            other.stop_and_check()
            whole.stop_and_check()
            late.stop_and_check()


def test_a_backlog_of_changes_is_patched_a_reply_at_a_time(tmp_path):
    """1,000 issues filed while no reader came: the next reader's catch-up
    reads them 200 a call and patches the copy as each reply comes, never
    the whole backlog in one go on the loop (the claims wait behind it)."""
    with lib.Stack(str(tmp_path), conf={"ledger": {"cache_ms": str(CACHE_MS)}}, start=False) as st:
        with open(st.d.conf) as f:      # the patches in the log
            text = f.read()
        with open(st.d.conf, "w") as f:
            f.write(text.replace("level = info", "level = debug"))
        st.start()
        o = st.roster["officers"][0]
        submit(st, o["id"], [lib.item(o["enterprises"][0], topic="tax") for _ in range(50)])
        assert st.d.get("/api/v1/ledger?limit=1").header("x-total-count") == "50"
        lines0 = len(st.d.stderr().splitlines())
        for k in range(20):
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic="tax")
                                 for i in range(50)])
        resp = st.d.get("/api/v1/ledger?limit=1&state=queued")
        assert resp.status == 200 and resp.header("x-total-count") == "1050", resp
        parts = [int(x.split(" patched with ")[1].split()[0])
                 for x in st.d.stderr().splitlines()[lines0:] if " patched with " in x]
        assert sum(parts) >= 1000 and max(parts) <= 200, parts


def debug_stack(tmp_path):
    """A stack (not started) whose daemon logs at debug level."""
    st = lib.Stack(str(tmp_path), conf={"ledger": {"cache_ms": str(CACHE_MS)}}, start=False)
    return st


def start_debug(st):
    with open(st.d.conf) as f:
        text = f.read()
    with open(st.d.conf, "w") as f:
        f.write(text.replace("level = info", "level = debug"))
    st.start()


def test_a_catch_up_makes_room_for_claims_between_its_calls(tmp_path):
    """A backlog of 1,000 changed issues caught up while a department claims
    all the time: whenever the daemon's other commands wait for Redis as a
    call of the catch-up comes back, its next call reads at most 50 changed
    issues (a quarter of a call's hold on Redis, which each claim that comes
    meanwhile waits out) and waits twice that call's round trip (at most
    100 ms), so that Redis serves the claims in between instead of the
    catch-up's calls back to back."""
    with debug_stack(tmp_path) as st:
        start_debug(st)
        o = st.roster["officers"][0]
        for _ in range(21):
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic="tax")
                                 for i in range(50)])
        assert st.d.get("/api/v1/ledger?limit=1").status == 200
        for _ in range(20):
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic="tax")
                                 for i in range(50)])
        lines0 = len(st.d.stderr().splitlines())
        stop, errors = threading.Event(), []
        tok = st.token("department", "tax")

        def claimer():
            try:
                while not stop.is_set():
                    resp = st.d.post("/api/v1/departments/tax/claim", {"claimant": "赵六"}, token=tok)
                    assert resp.status in (200, 204), resp
            except BaseException as e:      # reported below
                errors.append(e)

        claimers = [threading.Thread(target=claimer) for _ in range(4)]
        for t in claimers:
            t.start()
        try:
            resp = st.d.get("/api/v1/ledger?limit=1&state=queued")
            assert resp.status == 200, resp
        finally:
            stop.set()
            for t in claimers:
                t.join(30)
        assert not errors, errors
        pauses, paused = [], False
        for x in st.d.stderr().splitlines()[lines0:]:
            m = re.search(r"next call \(at most 50 changed issues\) in ([\d.]+) ms "
                          r"\(the last took ([\d.]+) ms", x)
            if m:
                pauses.append(m)
                paused = True
            elif " patched with " in x and paused:     # the call after the pause
                assert int(x.split(" patched with ")[1].split()[0]) <= 50, x
                paused = False
        assert pauses, "the catch-up's calls went back to back while claims waited"
        for m in pauses:
            wait, took = float(m.group(1)), float(m.group(2))
            assert abs(wait - min(2 * took, 100.0)) < 0.01, m.group(0)


def test_a_flood_of_token_less_readers_is_answered_in_paced_turns(tmp_path):
    """150 token-less readers of an unchanged ledger at once: they are
    answered 16 a turn, and between two turns the loop is left to the rest
    (claims) for 4 times the last turn's work, so that the readers take at
    most a fifth of it however fast they come (on a slow build those past
    the request deadline get 503 with Retry-After, as any reader kept
    waiting)."""
    with debug_stack(tmp_path) as st:
        start_debug(st)
        o = st.roster["officers"][0]
        submit(st, o["id"], [lib.item(o["enterprises"][0], topic="tax") for _ in range(20)])
        assert st.d.get("/api/v1/ledger?limit=5").status == 200
        lines0 = len(st.d.stderr().splitlines())
        codes, errors = [], []

        def reader(k):
            try:
                resp = st.d.get("/api/v1/ledger?limit=5&offset=%d" % (k % 20))
                assert resp.status == 200 or (resp.status == 503 and resp.header("retry-after")), resp
                codes.append(resp.status)
            except BaseException as e:      # reported below
                errors.append(e)

        readers = [threading.Thread(target=reader, args=(k,)) for k in range(150)]
        for t in readers:
            t.start()
        for t in readers:
            t.join(60)
        assert not errors, errors
        assert len(codes) == 150 and codes.count(200) >= 16, codes
        runs = [re.search(r"(\d+) readers answered in (\d+) turns: ([\d.]+) ms of answers "
                          r"\(the last turn ([\d.]+)\), ([\d.]+) ms between", x)
                for x in st.d.stderr().splitlines()[lines0:] if "readers answered in" in x]
        assert runs and sum(int(m.group(1)) for m in runs) >= 150, runs
        for m in runs:
            answered, turns = int(m.group(1)), int(m.group(2))
            work, last, between = float(m.group(3)), float(m.group(4)), float(m.group(5))
            assert answered <= 16 * turns, m.group(0)
            assert between >= 0.99 * 4 * (work - last), m.group(0)


def counted(d):
    return lib.metric(d.metrics(), "liaisond_ledger_tasks_counted_total")


def test_a_catch_up_counts_the_changed_tasks_not_the_period(tmp_path):
    """The first reading scores every task of the period; after that a
    change costs the scoring the tasks of the issues changed (their counts
    taken away and added again), not the period's, and every answer is still
    what a daemon reading the period whole gives."""
    with lib.Stack(str(tmp_path), conf={"ledger": {"cache_ms": str(CACHE_MS)}}) as st:
        officers = st.roster["officers"]
        for k in range(ISSUES // 50):
            o = officers[k % len(officers)]
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic="tax")
                                 for i in range(50)])
        whole = daemon_with(st, str(tmp_path / "whole"), 0).start()
        try:
            resp = st.d.get("/api/v1/ledger?limit=10")
            assert resp.status == 200, resp
            # every task counted once (the warm-up's copy, then the issues
            # stored after it)
            first = counted(st.d)
            assert first >= ISSUES, first
            tok = st.token("department", "tax")
            for step in range(5):
                resp = st.d.post("/api/v1/departments/tax/claim", {"claimant": "赵六"}, token=tok)
                assert resp.status == 200, resp
                if step % 2:
                    resp = st.d.post("/api/v1/tasks/%s/respond" % resp.json()["id"],
                                     {"response": lib.safe_text(12)}, token=tok)
                    assert resp.status == 200, resp
                before = counted(st.d)
                resp = st.d.get("/api/v1/ledger?limit=10")
                assert resp.status == 200, resp
                n = counted(st.d) - before
                assert 1 <= n <= 4, "a catch-up after one change counted %d tasks" % n
            assert_same_answers(every_answer(st.d), every_answer(whole))
        finally:
            whole.stop_and_check()


def test_cached_ledgers_follow_deadlines_passing_like_a_whole_read(tmp_path):
    """Deadlines of seconds: tasks fall due and overdue between readings
    (each task counted again when its moment comes), while they are claimed,
    responded to and resolved through two daemons; once every deadline has
    passed, each daemon's answers are a whole read's."""
    conf = {"ledger": {"cache_ms": str(CACHE_MS)},
            "deadlines": {"claim_seconds": "1", "respond_seconds": "2", "resolve_seconds": "3"}}
    with lib.Stack(str(tmp_path), conf=conf) as st:
        o = st.roster["officers"][0]
        other = second_daemon(st, str(tmp_path / "other")).start()
        whole = daemon_with(st, str(tmp_path / "whole"), 0).start()
        try:
            for d in (st.d, other):
                assert d.get("/api/v1/ledger?limit=10").status == 200
            for k in range(4):
                submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])],
                                              topic="planning" if i % 2 else "tax") for i in range(20)])
            changes_and_reads(st, other, (st.d, other), "/api/v1/ledger?department=tax&limit=10", 3, 0.05)
            # readings while the last deadlines pass, none after them
            for _ in range(8):
                for d in (st.d, other):
                    assert d.get("/api/v1/ledger?limit=10").status == 200
                time.sleep(0.5)
            time.sleep(CACHE_MS / 1000 + 1.2)
            truth = every_answer(whole)
            assert truth["whole"]["total"]["overdue"] > 0, truth["whole"]["total"]
            for d in (st.d, other):
                assert_same_answers(every_answer(d), truth)
        finally:
            other.stop_and_check()
            whole.stop_and_check()


def test_the_current_period_is_read_at_start_up_before_any_reader(tmp_path):
    """A daemon started on a period that already holds issues reads it whole
    at once (the warm-up), before anyone asks: the first reader costs no
    whole read of Redis and no scoring of the period, and is answered what a
    whole read gives."""
    with lib.Stack(str(tmp_path), conf={"ledger": {"cache_ms": str(CACHE_MS)}}) as st:
        officers = st.roster["officers"]
        for k in range(8):
            o = officers[k % len(officers)]
            submit(st, o["id"], [lib.item(o["enterprises"][i % len(o["enterprises"])], topic="tax")
                                 for i in range(50)])
        # a copy good for a minute: the first reader must find it as it is
        late = daemon_with(st, str(tmp_path / "late"), 60000).start()
        whole = daemon_with(st, str(tmp_path / "whole"), 0).start()
        try:
            lib.wait_for(lambda: counted(late) >= 400, 10, what="the warm-up's scoring")
            reads = lib.metric(late.metrics(), "liaisond_ledger_reads_total")
            assert reads >= 3, reads          # 400 issues: slices of 200
            tasks = counted(late)
            resp = late.get("/api/v1/ledger?limit=10")
            assert resp.status == 200, resp
            # no whole read and no scoring of the period: at most one
            # catch-up call, when a timer of the daemon (escalation) changed
            # something meanwhile
            assert lib.metric(late.metrics(), "liaisond_ledger_reads_total") <= reads + 1
            assert counted(late) - tasks < 50
            assert_same_answers(every_answer(late), every_answer(whole))
        finally:
            late.stop_and_check()
            whole.stop_and_check()


def with_deadline(st, ms):
    """Start st's daemon with [limits] request_timeout_ms = ms."""
    with open(st.d.conf) as f:
        text = f.read()
    with open(st.d.conf, "w") as f:
        f.write(text.replace("request_timeout_ms = 2000\n", "request_timeout_ms = %d\n" % ms))
    st.start()


def timed_while_redis_is_held(st, path):
    """GET path while a script holds Redis for 0.8 s (under the PING
    watchdog's second); the answer and how long it took."""
    busy = threading.Thread(target=st.r.eval, args=(
        "local t = redis.call('TIME') local e = t[1] * 1000000 + t[2] + 800000 "
        "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= e return 1", 0))
    busy.start()
    time.sleep(0.1)
    t0 = time.time()
    resp = st.d.get(path)
    waited = time.time() - t0
    busy.join()
    return resp, waited


def test_a_reader_kept_waiting_by_a_first_whole_read_gets_503_with_retry_after(tmp_path):
    """A period this daemon holds no copy of is read whole while its reader
    waits; when Redis is too slow for the request deadline (here a script
    holding it for 0.8 s, under the PING watchdog's second), the reader gets
    503 with Retry-After, and the next reader the ledger."""
    with lib.Stack(str(tmp_path), start=False, conf={"ledger": {"cache_ms": str(CACHE_MS)}}) as st:
        with_deadline(st, 300)
        o = st.roster["officers"][0]
        submit(st, o["id"], [lib.item(o["enterprises"][0], topic="tax")])
        past = lib.period_shift(lib.current_period(), -2)
        resp, waited = timed_while_redis_is_held(st, "/api/v1/ledger?period=%s" % past)
        lib.assert_error(resp, 503, "unavailable")
        assert resp.header("retry-after") == "1", resp
        assert waited < 0.7, waited
        lib.wait_for(lambda: st.d.get("/api/v1/ledger?period=%s" % past).status == 200, 5,
                     what="the ledger once Redis answers")


def test_readers_waiting_for_a_slow_catch_up_get_the_copy_at_half_the_deadline(tmp_path):
    """A catch-up held up in Redis (here a script holding it 0.8 s) past half
    the request deadline: the readers already waiting for it get the copy it
    started from (its "generated" time says when), not 503 at the deadline;
    once it is done, the change shows."""
    with lib.Stack(str(tmp_path), start=False, conf={"ledger": {"cache_ms": str(CACHE_MS)}}) as st:
        with_deadline(st, 400)
        o = st.roster["officers"][0]
        submit(st, o["id"], [lib.item(o["enterprises"][0], topic="tax") for _ in range(3)])
        lib.wait_for(lambda: st.d.get("/api/v1/ledger").status == 200, 5, what="the ledger")
        before = st.d.get("/api/v1/ledger").json()
        submit(st, o["id"], [lib.item(o["enterprises"][0], topic="tax")])     # a change here
        resp, waited = timed_while_redis_is_held(st, "/api/v1/ledger")
        assert resp.status == 200, resp
        assert waited < 0.4, waited
        doc = resp.json()
        assert [r["id"] for r in doc["issues"]] == [r["id"] for r in before["issues"]]
        lib.wait_for(lambda: len(st.d.get("/api/v1/ledger").json()["issues"]) == 4, 5,
                     what="the change, once the catch-up is done")
