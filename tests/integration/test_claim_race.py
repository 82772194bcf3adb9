"""8 concurrent claimers empty a 200-task queue (issue 3): every task is handed
out exactly once, none is left behind, and each claimer gets tasks oldest
first. A stack of its own, so the hr queue holds exactly our 200 tasks."""

import http.client
import json
import threading

from flow import admin, dept_token, get_task, queue_ids, report

N_TASKS = 200
N_CLAIMERS = 8
OFFICERS = ["O002", "O003", "O004", "O005"]        # 4 reports of 50 items


def tnum(tid):
    return int(tid[1:])


def claimer(port, token, name, out, errors, start):
    """POST /departments/hr/claim on one keep-alive connection until 204."""
    got = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"claimant": name}, ensure_ascii=False).encode()
    hdrs = {"Content-Type": "application/json", "Authorization": "Bearer " + token,
            "Content-Length": str(len(body))}
    try:
        start.wait(10)
        for _ in range(N_TASKS + 10):
            conn.request("POST", "/api/v1/departments/hr/claim", body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            if r.status == 204:
                if data != b"":
                    errors.append("%s: 204 with a body %r" % (name, data[:200]))
                break
            if r.status != 200:
                errors.append("%s: %d %r" % (name, r.status, data[:300]))
                break
            t = json.loads(data)
            if t.get("state") != "claimed" or t.get("claimant") != name or t.get("department") != "hr":
                errors.append("%s: unexpected task %r" % (name, t))
            got.append(t["id"])
        else:
            errors.append("%s: never got 204" % name)
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append("%s: %r" % (name, e))
    finally:
        conn.close()
        out[name] = got


def test_eight_claimers_empty_a_200_task_queue(fresh_stack):
    st = fresh_stack()
    created = []
    per = N_TASKS // len(OFFICERS)
    for oid in OFFICERS:
        doc = report(st, oid, per)
        for iss in doc["issues"]:
            assert iss["departments"] == ["hr"], iss
            created.append(iss["tasks"][0]["id"])
    assert len(set(created)) == N_TASKS
    # (the queue answers at most 100 rows unless asked for more)
    assert queue_ids(st, "hr", query="?limit=%d" % (N_TASKS + 50)) == created, \
        "queue is not the 200 tasks oldest first"

    tok = dept_token(st, "hr")
    out, errors = {}, []
    start = threading.Event()
    threads = [threading.Thread(target=claimer, args=(st.d.port, tok, "claimer-%d" % i, out, errors, start))
               for i in range(N_CLAIMERS)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a claimer hung"
    assert not errors, "\n".join(errors[:20])

    claimed = [tid for name in out for tid in out[name]]
    assert len(claimed) == N_TASKS, {n: len(v) for n, v in out.items()}
    dup = sorted({t for t in claimed if claimed.count(t) > 1})
    assert not dup, "handed out more than once: %r" % dup
    assert set(claimed) == set(created)
    # each claimer saw the queue move forward: its tasks are oldest first
    for name, got in out.items():
        assert [tnum(t) for t in got] == sorted(tnum(t) for t in got), (name, got)

    # nothing left behind
    assert queue_ids(st, "hr", query="?limit=%d" % (N_TASKS + 50)) == []
    r = st.d.post("/api/v1/departments/hr/claim", {"claimant": "late"}, token=tok)
    assert r.status == 204 and r.body == b"", r
    # every task is claimed by the claimer that got it
    owner = {tid: name for name in out for tid in out[name]}
    for tid in created:
        t = get_task(st, tid, token=admin(st))
        assert t["state"] == "claimed" and t["claimant"] == owner[tid], t


def test_concurrent_claims_of_one_task_by_id(fresh_stack):
    """8 claimers race for each of 20 tasks by id: one 200, seven 409 each."""
    st = fresh_stack()
    doc = report(st, "O006", 20)
    tids = [iss["tasks"][0]["id"] for iss in doc["issues"]]
    tok = dept_token(st, "hr")
    results = {tid: [] for tid in tids}
    errors = []
    barrier = threading.Barrier(N_CLAIMERS)
    lock = threading.Lock()

    def run(name):
        conn = http.client.HTTPConnection("127.0.0.1", st.d.port, timeout=30)
        body = json.dumps({"claimant": name}).encode()
        hdrs = {"Content-Type": "application/json", "Authorization": "Bearer " + tok,
                "Content-Length": str(len(body))}
        try:
            for tid in tids:
                barrier.wait(10)
                conn.request("POST", "/api/v1/tasks/%s/claim" % tid, body=body, headers=hdrs)
                r = conn.getresponse()
                data = r.read()
                with lock:
                    results[tid].append((r.status, name, data))
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append("%s: %r" % (name, e))
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=("c%d" % i,)) for i in range(N_CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for tid, res in results.items():
        assert len(res) == N_CLAIMERS, (tid, res)
        wins = [r for r in res if r[0] == 200]
        assert len(wins) == 1, "task %s: %r" % (tid, [(r[0], r[1]) for r in res])
        for status, name, data in res:
            if status != 200:
                assert status == 409 and json.loads(data)["error"]["code"] == "conflict", (tid, status, data)
        t = get_task(st, tid)
        assert t["state"] == "claimed" and t["claimant"] == wins[0][1], t
        iss = st.d.get("/api/v1/issues/" + t["issues"][0], token=admin(st)).json()
        claims = [h for h in iss["history"] if h["actor"] == "department:hr"]
        assert len(claims) == 1, iss["history"]
