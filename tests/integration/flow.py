"""What the integration tests do with a running stack: report as an officer,
act on tasks as a department, read issues, tasks, queues, the outbox and the
digest's state back, each answer checked on the way; the sample reports of
tests/data/reports.json; the stacks of the scenarios with second-scale
deadlines and with a mail server.

Every helper takes a lib.Stack (or an object with the same .d, .r, .token
and .officer) as st. lib.py is the plumbing underneath (processes, HTTP,
Redis, sinks); test files import these two modules and never each other.
"""

import datetime
import itertools
import json
import os
import re
import urllib.parse

import lib
from lib import ISO_RE

# ---------------------------------------------------------------------------
# task actions: the text field each one takes, what it leads to, how to get there

TEXT_FIELD = {"claim": "claimant", "respond": "response", "resolve": "resolution", "return": "reason"}
STATE_AFTER = {"claim": "claimed", "respond": "responded", "resolve": "resolved", "return": "returned"}
TASK_STATES = ("queued", "claimed", "responded", "resolved", "returned")
# how to reach a stage from queued
PATH_TO = {"queued": [], "claimed": ["claim"], "responded": ["claim", "respond"],
           "resolved": ["claim", "respond", "resolve"], "returned": ["return"]}
TASK_FIELDS = {"id", "department", "state", "claimant", "issues", "created", "deadline", "response", "resolution"}

# The deadlines of the escalation and ledger scenarios, counted from a task's creation.
CLAIM_S, RESPOND_S, RESOLVE_S = 2, 4, 6


def second_deadlines():
    """A Stack conf with the deadlines above, in seconds."""
    return {"deadlines": {"claim_seconds": CLAIM_S, "respond_seconds": RESPOND_S,
                          "resolve_seconds": RESOLVE_S}}


# ---------------------------------------------------------------------------
# tokens


def admin(st):
    return st.token("admin", "ops")


def dept_token(st, dept):
    return st.token("department", dept)


def warm_tokens(st):
    """Issue the admin's and every department's token now: liaisonctl writes a
    token to Redis, which must not happen between two snapshots."""
    admin(st)
    for d in st.roster["departments"]:
        dept_token(st, d["id"])


# ---------------------------------------------------------------------------
# reports and issues

_rr = itertools.count()


def submit(st, oid, items, period=None, key=None, expect=201, via=None):
    """POST /api/v1/reports as officer oid (optionally for period, with an
    Idempotency-Key, through another daemon `via` on the same Redis); the
    answer must have status expect; returns its JSON."""
    body = {"items": items}
    if period is not None:
        body["period"] = period
    headers = {"Idempotency-Key": key} if key else None
    resp = (via or st.d).post("/api/v1/reports", body, token=st.token("officer", oid), headers=headers)
    assert resp.status == expect, resp
    return resp.json()


def report(st, oid, n, topic="hiring"):
    """A report of n items of topic by officer oid, its enterprises taken in
    turn from the first; returns the 201 answer."""
    ents = st.officer(oid)["enterprises"]
    return submit(st, oid, [lib.item(ents[i % len(ents)], topic=topic) for i in range(n)])


def new_issue(st, oid, topic="hiring", **kw):
    """One fresh issue of officer oid (one-item report, enterprises taken in
    turn); returns the issue from the 201 answer: {id, tasks:[{id, department}], …}."""
    ents = st.officer(oid)["enterprises"]
    doc = submit(st, oid, [lib.item(ents[next(_rr) % len(ents)], topic=topic, **kw)])
    return doc["issues"][0]


def task_of(issue, dept=None):
    """The id of the issue's one task (of dept)."""
    found = [t for t in issue["tasks"] if dept is None or t["department"] == dept]
    assert len(found) == 1, issue
    return found[0]["id"]


def get_issue(st, iid, token=None):
    resp = st.d.get("/api/v1/issues/" + iid, token=token or admin(st))
    assert resp.status == 200, resp
    return resp.json()


def list_issues(st, tok, query="", status=200):
    """GET /api/v1/issues{query}: the rows on 200, else the answer (of that status)."""
    resp = st.d.get("/api/v1/issues" + query, token=tok)
    assert resp.status == status, resp
    return resp.json()["issues"] if status == 200 else resp


def issue_act(st, iid, action, body, token):
    """POST /api/v1/issues/{iid}/{action} (confirm, reopen, classify, route)."""
    return st.d.post("/api/v1/issues/%s/%s" % (iid, action), body, token=token)


def new_history(before, after):
    """History entries of issue 'after' that 'before' did not have (append only)."""
    hb, ha = before["history"], after["history"]
    assert ha[:len(hb)] == hb, "history is not append-only:\n%r\n%r" % (hb, ha)
    for h in ha:
        assert set(h) >= {"at", "actor", "event", "reason"}, h
        assert ISO_RE.match(h["at"]), h
    return ha[len(hb):]


def ts(s):
    """An ISO 8601 time of the API as a datetime."""
    return datetime.datetime.fromisoformat(s)


# ---------------------------------------------------------------------------
# tasks


def check_task(t):
    """t has the fields of a task object, of the right kinds."""
    assert TASK_FIELDS <= set(t), t
    assert isinstance(t["id"], str) and t["id"].startswith("T"), t
    assert t["state"] in TASK_STATES, t
    assert isinstance(t["issues"], list) and t["issues"], t
    assert ISO_RE.match(t["created"]), t
    assert t["deadline"] is None or ISO_RE.match(t["deadline"]), t


def text_for(action, n=None):
    """A valid text for the action's field (n characters)."""
    if action == "claim":
        return "张三" if n is None else "张" * n
    return lib.safe_text(20 if n is None else n)


def act(st, tid, action, body=None, dept="hr", token=None):
    """POST /api/v1/tasks/{tid}/{action}; body defaults to a valid one."""
    if body is None:
        body = {TEXT_FIELD[action]: text_for(action)}
    return st.d.post("/api/v1/tasks/%s/%s" % (tid, action), body,
                     token=token if token is not None else dept_token(st, dept))


def act_ok(st, tid, action, dept="hr", text=None):
    """act, which must answer 200 with the task in the state the action leads to."""
    text = text if text is not None else text_for(action)
    resp = act(st, tid, action, {TEXT_FIELD[action]: text}, dept=dept)
    assert resp.status == 200, "%s %s: %r" % (action, tid, resp)
    t = resp.json()
    check_task(t)
    assert t["id"] == tid and t["state"] == STATE_AFTER[action], t
    return t


def drive(st, tid, stage, dept="hr"):
    """Take a queued task to stage."""
    for a in PATH_TO[stage]:
        act_ok(st, tid, a, dept=dept)


def get_task(st, tid, token=None):
    resp = st.d.get("/api/v1/tasks/" + tid, token=token or admin(st))
    assert resp.status == 200, resp
    t = resp.json()
    check_task(t)
    return t


def queue_ids(st, dept, token=None, query=""):
    """The ids in the department's queue, each checked as a queued task of it."""
    resp = st.d.get("/api/v1/departments/%s/queue%s" % (dept, query), token=token or admin(st))
    assert resp.status == 200, resp
    doc = resp.json()
    assert set(doc) == {"tasks"}, doc
    for t in doc["tasks"]:
        check_task(t)
        assert t["state"] == "queued" and t["department"] == dept, t
    return [t["id"] for t in doc["tasks"]]


def claim_next(st, dept, claimant="赵六", token=None):
    """POST /api/v1/departments/{dept}/claim (the oldest queued task)."""
    return st.d.post("/api/v1/departments/%s/claim" % dept, {"claimant": claimant},
                     token=token if token is not None else dept_token(st, dept))


def second_daemon(st, workdir):
    """Another liaisond with the same config on the same Redis."""
    d = lib.Daemon(workdir, st.redis.port)
    with open(st.d.conf) as f:
        text = f.read()
    text = re.sub(r"(?m)^listen = .*$", "listen = 127.0.0.1:%d" % d.port, text)
    text = text.replace("file = roster.json", "file = %s" % st.d.roster_path)
    with open(d.conf, "w") as f:
        f.write(text)
    return d


# ---------------------------------------------------------------------------
# refusals, the outbox


def rejected(st, send, status, code, field=None):
    """send() is refused with this JSON error and Redis does not change."""
    warm_tokens(st)
    before = lib.stable_snapshot(st.r)
    resp = send()
    err = lib.assert_error(resp, status, code, field)
    lib.assert_unchanged(before, lib.redis_snapshot(st.r))
    return err


def outbox(st, event=None, task=None):
    """Entries of the Redis stream P outbox as dicts of str, optionally filtered."""
    out = []
    for _, f in st.r.xrange(lib.PREFIX + "outbox"):
        e = {k.decode(): v.decode() for k, v in f.items()}
        if (event is None or e.get("event") == event) and (task is None or e.get("task") == task):
            out.append(e)
    return out


# ---------------------------------------------------------------------------
# the sample reports (tests/data/reports.json): 27 items with what each must become

SAMPLE_FILE = os.path.join(lib.REPO, "tests", "data", "reports.json")


def distinct_enterprises(st, n):
    """n (officer, enterprise) pairs with distinct enterprises and officers."""
    out, seen = [], set()
    for o in st.roster["officers"]:
        if o["enterprises"][0] not in seen:
            seen.add(o["enterprises"][0])
            out.append((o["id"], o["enterprises"][0]))
        if len(out) == n:
            return out
    raise AssertionError("roster too small")


def sample_items(cluster=None):
    """The sample's items (those of one cluster letter)."""
    with open(SAMPLE_FILE, encoding="utf-8") as f:
        items = json.load(f)["items"]
    if cluster is None:
        return items
    return [it for it in items if it["expect"].get("cluster") == cluster]


def one_item(it):
    """The report item of a sample item (without its officer and expect)."""
    out = {"enterprise": it["enterprise"], "topic": it["topic"], "title": it["title"]}
    if "detail" in it:
        out["detail"] = it["detail"]
    return out


# What departments write back on the printed ledger: long enough to wrap.
SAMPLE_RESPONSES = [
    "已联系企业负责人了解具体情况，正在会同相关单位研究解决方案，预计五个工作日内给出答复。",
    "已安排专人对接，现场踏勘后形成处理意见，并已向企业说明办理流程、所需材料和时间节点。",
    "经核实情况属实，已纳入本月重点督办事项，由分管负责同志牵头协调，每周向企业通报进展。",
]
SAMPLE_RESOLUTIONS = [
    "问题已解决：相关手续已办结，企业确认满意，后续由园区服务专员跟踪回访，防止问题反复。",
    "已协调落实到位，企业反映的困难得到缓解，相关政策文件和联系人已书面告知企业负责人。",
]


def ledger_sample(st):
    """A period's ledger as a zone prints it: the 27 sample items, each
    reported by its own officer, and their tasks taken on as departments do
    (every third resolved, every third responded to, the rest queued), with
    texts long enough to wrap. Returns the issues' ids in submission order."""
    ids = [submit(st, it["officer"], [one_item(it)])["issues"][0]["id"] for it in sample_items()]
    # read back once all are in: a common group's issues share one task
    tasks = {}
    for iid in ids:
        for t in get_issue(st, iid)["tasks"]:
            tasks.setdefault(t["id"], t["department"])
    for n, (tid, dept) in enumerate(tasks.items()):
        stage = ("resolved", "responded", "queued")[n % 3]
        for a in PATH_TO[stage]:
            text = {"claim": "王晓明",
                    "respond": SAMPLE_RESPONSES[n % len(SAMPLE_RESPONSES)],
                    "resolve": SAMPLE_RESOLUTIONS[n % len(SAMPLE_RESOLUTIONS)]}[a]
            act_ok(st, tid, a, dept=dept, text=text)
    return ids


# ---------------------------------------------------------------------------
# the weekly digest


def digest_stack(workdir, sink, digest=None, leaders=None, conf=None, webhooks=None, since=0):
    """A started Stack whose [smtp] url is the SmtpSink's, checking for due
    digests and retrying every second. digest, conf: more config keys;
    leaders: the roster's; webhooks: {dept: url} (standard format); since:
    when the digests started on this Redis (ms; default long ago, so last
    week is sent by the schedule; None: a first start)."""
    c = {"digest": dict({"check_seconds": 1, "retry_seconds": 1}, **(digest or {}))}
    for k, v in (conf or {}).items():
        c.setdefault(k, {}).update(v)
    st = lib.Stack(str(workdir), start=False, conf=c, smtp_port=sink.port)
    if leaders is not None:
        st.roster["leaders"] = leaders
    for d in st.roster["departments"]:
        if d["id"] in (webhooks or {}):
            d["webhook"] = {"url": webhooks[d["id"]], "format": "standard",
                            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    lib.write_roster(st.d.roster_path, st.roster)
    if since is not None:
        st.r.set(lib.PREFIX + "digest:since", since)
    return st.start()


def week_state(st, week):
    """The hash P digest:{week} as a dict of str."""
    h = st.r.hgetall(lib.PREFIX + "digest:" + week)
    return {k.decode(): v.decode() for k, v in h.items()}


def digest_units(st, week):
    """The week's recipients as digest.lua keeps them: {unit: state}."""
    return {k.decode(): json.loads(v) for k, v in st.r.hgetall(lib.PREFIX + "digest:%s:units" % week).items()}


def digest_metrics(st):
    """The digest's series of GET /metrics."""
    samples = st.d.metrics()
    out = {o: int(lib.metric(samples, "liaisond_digest_mails_total", outcome=o))
           for o in ("sent", "refused", "retried")}
    out["pending"] = int(lib.metric(samples, "liaisond_digest_pending"))
    return out


# ---------------------------------------------------------------------------
# field work (SPEC §11): visits, talks, outcomes, figures


def today():
    """Today in the zone (Asia/Shanghai) as YYYY-MM-DD."""
    return datetime.datetime.now(lib.TZ).date().isoformat()


def day_shift(n):
    """The zone's date n days from today, YYYY-MM-DD."""
    return (datetime.datetime.now(lib.TZ).date() + datetime.timedelta(days=n)).isoformat()


def fieldwork_post(st, kind, body, oid=None, token=None, key=None):
    """POST /api/v1/{kind} (visits, events, outcomes) as officer oid (or token)."""
    headers = {"Idempotency-Key": key} if key else None
    return st.d.post("/api/v1/" + kind, body, token=token or st.token("officer", oid), headers=headers)


def visit(st, oid, ent, **kw):
    """One stored visit of officer oid to ent (date today, mode visit); its JSON."""
    body = {"enterprise": ent, "date": today(), "mode": "visit", "note": "走访了解情况", "suggestions": 0}
    body.update(kw)
    resp = fieldwork_post(st, "visits", body, oid)
    assert resp.status == 201, resp
    return resp.json()


def figures(st, query=""):
    resp = st.d.get("/api/v1/figures" + query)
    assert resp.status == 200, resp
    return resp.json()


def web_login(st, token):
    """Sign in on the pages with token; the session cookie."""
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token),
                    ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    return r.header("set-cookie").split(";")[0]


def web_get(st, path, cookie):
    return lib.request(st.d.port, "GET", path, headers={"Cookie": cookie})


def web_post(st, path, fields, cookie):
    return lib.request(st.d.port, "POST", path, body=urllib.parse.urlencode(fields),
                       ctype="application/x-www-form-urlencoded", headers={"Cookie": cookie})


def web_hidden(body, name, form=None):
    """The value of hidden input name (in the form with id form, if given)."""
    text = body.decode() if isinstance(body, bytes) else body
    if form is not None:
        text = text[text.index('id="%s"' % form):]
    return re.search(r'name="%s" value="([^"]*)"' % name, text).group(1)


# ---------------------------------------------------------------------------
# more than one machine (SPEC §13): what must hold after a failover or a move


def acked_tasks(done):
    """The ids of the tasks of every acknowledged report in done (as
    test_failover's Reporter records them)."""
    return {t["id"] for x in done for iss in x["doc"]["issues"] for t in iss["tasks"]}


def claims_drain(port, hr, stop, claimers, claimed, errors, tasks, r, prefix=lib.PREFIX):
    """Claims go on until the hr queue (read through the daemon on port with
    token hr) is empty; then stop is set and the claimer threads end. No task
    was handed out twice, and each of tasks is claimed in Redis r."""
    def queue_empty():
        resp = lib.request(port, "GET", "/api/v1/departments/hr/queue", token=hr)
        return resp.status == 200 and not resp.json().get("tasks")
    lib.wait_for(queue_empty, 30, what="the hr queue drained")
    stop.set()
    for t in claimers:
        t.join(30)
    assert not errors, errors[:10]
    assert len(claimed) == len(set(claimed)), "a task was handed out twice"
    for tid in tasks:
        assert r.hget(prefix + "task:" + tid, "state") == b"claimed", tid


def delivered_once(sink, tasks):
    """Every task.queued of tasks reaches sink, and an event sent again
    carries the same webhook-id."""
    def queued_delivered():
        got = {b["data"]["task"]["id"] for h, b in sink.snapshot() if b.get("type") == "task.queued"}
        return tasks <= got
    lib.wait_for(queued_delivered, 60, what="task.queued delivered for every task")
    ids = {}
    for h, b in sink.snapshot():
        ids.setdefault((b.get("type"), b["data"]["task"]["id"]), set()).add(h["webhook-id"])
    again = {k: v for k, v in ids.items() if len(v) > 1}
    assert not again, "an event was sent under two webhook-ids: %r" % list(again.items())[:5]
