"""Redis outage under a light request loop: requests answer 503 `unavailable`,
/healthz 503; once Redis is back, 201 again without restarting liaisond; a
request that got 503 and is retried with its Idempotency-Key is stored once."""

import http.client
import json
import signal
import threading
import time

import lib
from lib import PREFIX


class Loop:
    """One thread posting reports with fresh keys, gently, until stopped."""

    def __init__(self, st, oid):
        self.st, self.oid = st, oid
        self.tok = st.token("officer", oid)
        self.ents = st.officer(oid)["enterprises"]
        self.results = []          # (monotonic time, key, raw, status or exception)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            key = lib.new_key()
            raw = json.dumps({"items": [lib.item(self.ents[0])]}, ensure_ascii=False).encode()
            try:
                resp = lib.request(self.st.d.port, "POST", "/api/v1/reports", body=raw, token=self.tok,
                                   headers={"Idempotency-Key": key}, timeout=10)
                res = resp
            except (OSError, http.client.HTTPException) as e:
                res = e
            with self.lock:
                self.results.append((time.monotonic(), key, raw, res))
            self.stop.wait(0.05)  # pacing only: a light loop

    def statuses_since(self, t0):
        with self.lock:
            return [res.status if isinstance(res, lib.Resp) else repr(res)
                    for t, _, _, res in self.results if t >= t0]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def healthz(st):
    return st.d.get("/healthz", timeout=10)


def run_outage(st, oid, stop_redis, start_redis):
    with Loop(st, oid) as loop:
        t0 = time.monotonic()
        lib.wait_for(lambda: loop.statuses_since(t0).count(201) >= 3, 15, what="201s before the outage")

        t_down = time.monotonic()
        stop_redis()
        lib.wait_for(lambda: 503 in loop.statuses_since(t_down), 15, what="a 503 during the outage")
        h = lib.wait_for(lambda: (lambda r: r if r.status == 503 else None)(healthz(st)), 15,
                         what="/healthz 503 during the outage")
        doc = h.json()
        assert doc.get("status") == "unavailable" and isinstance(doc.get("error"), dict), doc
        # a 503 carries the JSON error
        with loop.lock:
            r503 = next(res for t, _, _, res in loop.results
                        if t >= t_down and isinstance(res, lib.Resp) and res.status == 503)
        lib.assert_error(r503, 503, "unavailable")
        # stay down ~3 s in all
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t_down)))
        assert st.d.alive(), "liaisond exited during the outage:\n" + st.d.stderr()[-3000:]

        t_up = time.monotonic()
        start_redis()
        lib.wait_for(lambda: 201 in loop.statuses_since(t_up), 15, what="201 after Redis came back")
        lib.wait_for(lambda: healthz(st).status == 200, 15, what="/healthz 200 after Redis came back")
    assert st.d.alive(), "liaisond exited:\n" + st.d.stderr()[-3000:]

    # only 201 and 503 were ever answered (never a hang or a dropped connection)
    bad = [(k, res) for _, k, _, res in loop.results if not (isinstance(res, lib.Resp) and res.status in (201, 503))]
    assert not bad, bad[:3]

    # retry every 503 with its key: each key ends as exactly one report
    keys = {}
    for _, key, raw, res in loop.results:
        if res.status == 201:
            keys[key] = res.json()["report"]
        else:
            again = lib.request(st.d.port, "POST", "/api/v1/reports", body=raw, token=loop.tok,
                                headers={"Idempotency-Key": key})
            assert again.status == 201, again
            keys[key] = again.json()["report"]
    assert len(set(keys.values())) == len(keys), "two keys share one report"
    stored = {m.decode() for m in st.r.zrange(PREFIX + "officer:%s:reports" % oid, 0, -1)}
    assert stored == set(keys.values()), "reports stored %d, distinct keys %d" % (len(stored), len(keys))


def test_redis_stopped_sigstop(fresh_stack):
    st = fresh_stack()
    run_outage(st, "O020",
               lambda: st.redis.kill(signal.SIGSTOP),
               lambda: st.redis.kill(signal.SIGCONT))


def test_redis_killed_and_restarted(fresh_stack):
    st = fresh_stack()
    # something stored before the crash is still there after it
    tok = st.token("officer", "O022")
    before = st.d.post("/api/v1/reports", {"items": []}, token=tok)
    assert before.status == 201, before
    run_outage(st, "O021", lambda: st.redis.kill(signal.SIGKILL), st.redis.start)
    assert st.r.exists(PREFIX + "report:" + before.json()["report"])
