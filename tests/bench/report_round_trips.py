#!/usr/bin/python3
"""report_round_trips.py -- the Redis calls a report waits for, as Redis
itself saw them (MONITOR), not as the daemon counts them.

    LIAISOND=build/liaisond LIAISONCTL=build/liaisonctl tests/bench/report_round_trips.py [N]

A private redis-server and liaisond with the sample roster (the
integration tests' lib.py). One officer's token is used once (the daemon
may now remember whom it names), then N one-item reports (default 50) are
posted one after the other. Counted from MONITOR, top-level commands only
(what runs inside a script is not a round trip): the token reads
(HGETALL token:…), the recurrence reads (read.lua finished) and the store
calls (workflow.lua submit_batch), each divided by N. Commands of the
webhook engine and the timers are left out. The daemon's own counter
(liaisond_http_redis_round_trips_total{route="/api/v1/reports"}) is printed
beside it.
"""

import os
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import lib  # noqa: E402

ROUTE = "/api/v1/reports"
MARK = "report-round-trips-done"


def watch(r, seen, ready):
    with r.monitor() as m:
        ready.set()
        for c in m.listen():
            cmd = c["command"]
            if MARK in cmd:
                return
            if c.get("client_type") == "lua":
                continue
            seen.append(cmd)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp, lib.Stack(tmp) as st:
        tok = st.token("officer", "O001")
        ent = st.officer("O001")["enterprises"][0]
        first = st.d.post(ROUTE, {"items": [lib.item(ent)]}, token=tok)
        assert first.status == 201, first
        trips = lib.metric(st.d.metrics(), "liaisond_http_redis_round_trips_total", route=ROUTE)
        seen, ready = [], threading.Event()
        t = threading.Thread(target=watch, args=(st.redis.client(), seen, ready), daemon=True)
        t.start()
        ready.wait(10)
        for _ in range(n):
            r = st.d.post(ROUTE, {"items": [lib.item(ent)]}, token=tok,
                          headers={"Idempotency-Key": lib.new_key()})
            assert r.status == 201, r
        st.r.echo(MARK)
        t.join(30)
        trips = lib.metric(st.d.metrics(), "liaisond_http_redis_round_trips_total", route=ROUTE) - trips
        token = sum(1 for c in seen if c.startswith("HGETALL") and " token:" in c.replace(lib.PREFIX, " "))
        submit = sum(1 for c in seen if c.startswith(("EVALSHA", "FCALL")) and " submit_batch " in c)
        finished = sum(1 for c in seen if c.startswith(("EVALSHA", "FCALL")) and " finished " in c)
        print("report_round_trips: %s" % lib.LIAISOND)
        print("report_round_trips: %d reports; per report: token reads %.2f, recurrence reads %.2f, "
              "store calls %.2f, in all %.2f; the daemon's counter %.2f"
              % (n, token / n, finished / n, submit / n, (token + finished + submit) / n, trips / n))


if __name__ == "__main__":
    main()
