"""Every endpoint of the session-1 API, on the shared stack."""

import datetime
import re
import shutil
import subprocess

import pytest

import lib
from flow import list_issues, submit, ts
from lib import ISO_RE, PREFIX, metric, parse_metrics

# ---------------------------------------------------------------------------
# helpers


def ents(stack, oid):
    return stack.officer(oid)["enterprises"]


def assert_current(period, before):
    """period is the current one (either side of a boundary crossed during the call)."""
    assert period in (before, lib.current_period()), (period, before)


def check_report_response(doc, period, nitems):
    assert set(doc) >= {"report", "period", "issues"}, doc
    assert isinstance(doc["report"], str) and doc["report"].startswith("R"), doc
    assert doc["period"] == period
    assert isinstance(doc["issues"], list) and len(doc["issues"]) == nitems, doc
    for iss in doc["issues"]:
        assert set(iss) >= {"id", "category", "departments", "state", "tasks"}, iss
        assert iss["state"] == "queued"
        assert iss["category"] in ("individual", "common", "difficult")
        assert sorted(t["department"] for t in iss["tasks"]) == sorted(iss["departments"]), iss
        for t in iss["tasks"]:
            assert set(t) >= {"id", "department", "state"}, t
            assert t["state"] == "queued"
    ids = [i["id"] for i in doc["issues"]]
    assert len(set(ids)) == len(ids)


def check_stored(r, doc, oid):
    """The Redis keys of the contract exist for a 201 answer."""
    rid, period = doc["report"], doc["period"]
    assert r.exists(PREFIX + "report:" + rid), rid
    assert r.zscore(PREFIX + "reports:" + period, rid) is not None
    assert r.zscore(PREFIX + "officer:%s:reports" % oid, rid) is not None
    assert r.sismember(PREFIX + "reported:" + period, oid)
    for iss in doc["issues"]:
        iid = iss["id"]
        assert r.type(PREFIX + "issue:" + iid) == b"hash", iid
        assert r.llen(PREFIX + "issue:%s:history" % iid) >= 1
        assert r.zscore(PREFIX + "issues", iid) is not None
        assert r.zscore(PREFIX + "issues:period:" + period, iid) is not None
        assert r.zscore(PREFIX + "issues:officer:" + oid, iid) is not None
        for dept in iss["departments"]:
            assert r.zscore(PREFIX + "issues:dept:" + dept, iid) is not None, (iid, dept)
        for t in iss["tasks"]:
            assert r.type(PREFIX + "task:" + t["id"]) == b"hash", t
            assert t["id"] in lib.stream_tasks(r, t["department"]), t


# ---------------------------------------------------------------------------
# healthz, metrics


def test_healthz(stack):
    resp = stack.d.get("/healthz")
    assert resp.status == 200, resp
    assert resp.header("content-type").startswith("application/json")
    # which Redis is in use, and the failovers followed (SPEC 13)
    assert resp.json() == {"status": "ok", "redis": {"primary": "127.0.0.1:%d" % stack.redis.port,
                                                     "sentinel": False, "failovers": 0, "replicas": 0}}


def test_metrics_latency_histograms(stack):
    """Request duration by route and the Redis round trip, in the Prometheus
    histogram convention (issue 14)."""
    stack.d.get("/healthz")
    lib.wait_for(lambda: lib.histogram(stack.d.metrics(), "liaisond_redis_round_trip_seconds"), 5,
                 what="a PING timed")
    samples = stack.d.metrics()
    count, total, buckets = lib.histogram(samples, "liaisond_http_request_duration_seconds", route="/healthz")
    assert count >= 1 and total < count * 10, (count, total)
    count, total, buckets = lib.histogram(samples, "liaisond_redis_round_trip_seconds")
    assert count >= 1 and buckets["1"] >= 1, buckets      # a loopback PING under a second
    text = stack.d.get("/metrics").body.decode()
    for family in ("liaisond_http_request_duration_seconds", "liaisond_redis_round_trip_seconds",
                   "liaisond_webhook_attempt_seconds", "liaisond_digest_mail_seconds",
                   "liaisond_intake_batch_seconds"):
        assert "# TYPE %s histogram\n" % family in text, family


def test_metrics_pass_promtool(stack):
    """promtool (Debian's prometheus, installed by scripts/check) accepts
    /metrics as it is."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's prometheus (scripts/check does)")
    stack.d.get("/healthz")
    text = stack.d.get("/metrics").body
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=30)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()


def test_metrics(stack, officers):
    resp = stack.d.get("/metrics")
    assert resp.status == 200, resp
    assert resp.header("content-type").startswith("text/plain"), resp
    before = parse_metrics(resp.body.decode())
    names = {n for n, _, _ in before}
    for name in ("liaisond_http_requests_total", "liaisond_reports_total", "liaisond_issues_total",
                 "liaisond_redis_up"):
        assert name in names, "missing %s in:\n%s" % (name, resp.body.decode()[:3000])
    assert metric(before, "liaisond_redis_up") == 1
    text = resp.body.decode()
    assert re.search(r"^# TYPE liaisond_http_requests_total counter$", text, re.M), text[:2000]

    oid = officers()
    e = ents(stack, oid)
    submit(stack, oid, [lib.item(e[0]), lib.item(e[1], topic="tax")])

    def after():
        s = parse_metrics(stack.d.get("/metrics").body.decode())
        return s if (metric(s, "liaisond_reports_total") == metric(before, "liaisond_reports_total") + 1
                     and metric(s, "liaisond_issues_total") == metric(before, "liaisond_issues_total") + 2) else None
    s = lib.wait_for(after, 5, what="reports_total +1 and issues_total +2")
    # the request just made is counted with its labels
    posts = [(lab, v) for n, lab, v in s if n == "liaisond_http_requests_total" and lab.get("method") == "POST"
             and lab.get("status") == "201"]
    assert posts and all("route" in lab for lab, _ in posts), posts
    gets = [lab for n, lab, v in s if n == "liaisond_http_requests_total" and lab.get("method") == "GET"
            and lab.get("status") == "200"]
    assert gets, "no GET 200 counted"


# ---------------------------------------------------------------------------
# me


def test_me_officer_reported_flips(stack, officers):
    oid = officers()
    off = stack.officer(oid)
    names = {e["id"]: e["name"] for e in stack.roster["enterprises"]}
    tok = stack.token("officer", oid)
    p0 = lib.current_period()
    resp = stack.d.get("/api/v1/me", token=tok)
    assert resp.status == 200, resp
    me = resp.json()
    assert me["role"] == "officer" and me["id"] == oid and me["name"] == off["name"], me
    got = sorted((e["id"], e["name"]) for e in me["enterprises"])
    assert got == sorted((x, names[x]) for x in off["enterprises"]), me
    assert_current(me["period"], p0)
    assert me["reported"] is False, me

    # a late report for the previous period does not count for the current one
    submit(stack, oid, [], period=lib.period_shift(me["period"], -1))
    assert stack.d.get("/api/v1/me", token=tok).json()["reported"] is False

    submit(stack, oid, [lib.item(off["enterprises"][0])])
    me2 = stack.d.get("/api/v1/me", token=tok).json()
    assert me2["reported"] is True, me2


def test_me_department(stack):
    tok = stack.token("department", "hr")
    resp = stack.d.get("/api/v1/me", token=tok)
    assert resp.status == 200, resp
    me = resp.json()
    hr = next(d for d in stack.roster["departments"] if d["id"] == "hr")
    assert me["role"] == "department" and me["id"] == "hr" and me["name"] == hr["name"], me
    assert "enterprises" not in me


def test_me_admin(stack, admin_token):
    resp = stack.d.get("/api/v1/me", token=admin_token)
    assert resp.status == 200, resp
    me = resp.json()
    assert {k: me.get(k) for k in ("role", "id", "name")} == {"role": "admin", "id": "ops", "name": "ops"}, me


def test_me_without_token(stack):
    lib.assert_error(stack.d.get("/api/v1/me"), 401, "unauthorized")


# ---------------------------------------------------------------------------
# POST /api/v1/reports


def test_report_created_shape_and_storage(stack, officers):
    oid = officers()
    e = ents(stack, oid)
    p0 = lib.current_period()
    items = [lib.item(e[0], topic="hiring"), lib.item(e[1], topic="financing")]
    resp = stack.d.post("/api/v1/reports", {"items": items}, token=stack.token("officer", oid))
    assert resp.status == 201, resp
    assert resp.header("content-type").startswith("application/json")
    doc = resp.json()
    assert_current(doc["period"], p0)
    check_report_response(doc, doc["period"], 2)
    assert doc["issues"][0]["departments"] == ["hr"]
    assert doc["issues"][1]["departments"] == ["finance"]
    for iss in doc["issues"]:
        assert iss["category"] == "individual", iss
        assert len(iss["tasks"]) == 1
    check_stored(stack.r, doc, oid)


def test_report_planning_routes_to_land_and_build_difficult(stack, officers):
    oid = officers()
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0], topic="planning")])
    iss = doc["issues"][0]
    assert sorted(iss["departments"]) == ["build", "land"], iss
    assert iss["category"] == "difficult", iss
    assert sorted(t["department"] for t in iss["tasks"]) == ["build", "land"]
    assert len({t["id"] for t in iss["tasks"]}) == 2
    check_stored(stack.r, doc, oid)


def test_report_flagged_difficult(stack, officers):
    oid = officers()
    e = ents(stack, oid)
    doc = submit(stack, oid, [lib.item(e[0], topic="hiring", difficult=True),
                              lib.item(e[1], topic="hiring", difficult=False)])
    assert doc["issues"][0]["category"] == "difficult"
    assert doc["issues"][0]["departments"] == ["hr"]
    assert doc["issues"][1]["category"] == "individual"


@pytest.mark.parametrize("title,detail,expected", [
    ("厂房{r}", "{r}", ["land"]),                           # one keyword of land
    ("厂房{r}", "贷款{r}融资{r}", ["finance"]),              # financing 2 matches beats land 1
    ("{r}", "{r}", ["econ"]),                               # no keyword: other's own departments
], ids=["one-keyword", "most-matches", "no-keyword"])
def test_report_other_routed_by_keyword(stack, officers, title, detail, expected):
    oid = officers()
    t = title.format(r=lib.safe_text(6))
    d = detail.format(r=lib.safe_text(6))
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0], topic="other", title=t, detail=d)])
    iss = doc["issues"][0]
    assert iss["departments"] == expected, iss
    assert [x["department"] for x in iss["tasks"]] == expected
    full = stack.d.get("/api/v1/issues/" + iss["id"], token=stack.token("admin", "ops")).json()
    assert full["topic"] == "other", full


def test_zero_report(stack, officers):
    oid = officers()
    p0 = lib.current_period()
    doc = submit(stack, oid, [])
    assert_current(doc["period"], p0)
    assert doc["issues"] == []
    assert doc["report"].startswith("R")
    check_stored(stack.r, doc, oid)
    me = stack.d.get("/api/v1/me", token=stack.token("officer", oid)).json()
    assert me["reported"] is True


def test_zero_report_refused_after_issues_in_the_period(stack, officers):
    """A zero report says the period had no problem: once the officer
    reported issues for it, it is refused (409 already_reported, naming the
    report) and changes nothing; the previous period is still open to one."""
    oid = officers()
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0])])
    before = lib.stable_snapshot(stack.r)
    resp = stack.d.post("/api/v1/reports", {"items": []}, token=stack.token("officer", oid))
    err = lib.assert_error(resp, 409, "already_reported", "items")
    assert doc["report"] in err["message"], err
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))
    prev = lib.period_shift(lib.current_period(), -1)
    assert submit(stack, oid, [], period=prev)["issues"] == []


def test_report_previous_period_is_late(stack, officers):
    oid = officers()
    prev = lib.period_shift(lib.current_period(), -1)
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0])], period=prev)
    assert doc["period"] == prev
    check_stored(stack.r, doc, oid)
    lst = stack.d.get("/api/v1/reports", token=stack.token("officer", oid)).json()["reports"]
    mine = [x for x in lst if x["id"] == doc["report"]]
    assert len(mine) == 1 and mine[0]["late"] is True and mine[0]["period"] == prev, lst


def test_report_explicit_current_period_not_late(stack, officers):
    oid = officers()
    cur = lib.current_period()
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0])], period=cur)
    assert doc["period"] == cur
    lst = stack.d.get("/api/v1/reports", token=stack.token("officer", oid)).json()["reports"]
    assert [x["late"] for x in lst if x["id"] == doc["report"]] == [False]


def test_report_default_period_is_current_in_shanghai(stack, officers):
    oid = officers()
    # what the zone's clock says, independent of the machine's TZ
    p0 = lib.period_of(datetime.datetime.now(datetime.timezone.utc))
    doc = submit(stack, oid, [lib.item(ents(stack, oid)[0])])
    assert_current(doc["period"], p0)


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "application/json; charset=UTF-8",
                                   "Application/JSON"])
def test_report_content_type_variants_accepted(stack, officers, ctype):
    oid = officers()
    resp = stack.d.post("/api/v1/reports", {"items": []}, token=stack.token("officer", oid), ctype=ctype)
    assert resp.status == 201, resp


# ---------------------------------------------------------------------------
# GET /api/v1/reports


def check_report_row(row):
    assert set(row) >= {"id", "officer", "period", "created", "late", "issues"}, row
    assert ISO_RE.match(row["created"]), row
    assert isinstance(row["late"], bool)
    assert isinstance(row["issues"], list)


def test_reports_list(stack, officers, admin_token):
    oid = officers()
    e = ents(stack, oid)
    cur = lib.current_period()
    prev = lib.period_shift(cur, -1)
    d_cur = submit(stack, oid, [lib.item(e[0]), lib.item(e[1], topic="tax")], period=cur)
    d_prev = submit(stack, oid, [], period=prev)
    other = officers()
    d_other = submit(stack, other, [], period=cur)

    tok = stack.token("officer", oid)
    resp = stack.d.get("/api/v1/reports", token=tok)
    assert resp.status == 200, resp
    rows = resp.json()["reports"]
    for row in rows:
        check_report_row(row)
    assert all(r["officer"] == oid for r in rows), rows
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {d_cur["report"], d_prev["report"]}, rows
    assert by_id[d_cur["report"]]["issues"] == [i["id"] for i in d_cur["issues"]]
    assert by_id[d_cur["report"]]["period"] == cur and by_id[d_prev["report"]]["period"] == prev

    rows = stack.d.get("/api/v1/reports?period=" + prev, token=tok).json()["reports"]
    assert [r["id"] for r in rows] == [d_prev["report"]], rows

    # admin: current period by default, all officers
    rows = stack.d.get("/api/v1/reports", token=admin_token).json()["reports"]
    ids = {r["id"] for r in rows}
    assert d_cur["report"] in ids and d_other["report"] in ids and d_prev["report"] not in ids
    assert all(r["period"] == cur for r in rows)
    rows = stack.d.get("/api/v1/reports?period=" + prev, token=admin_token).json()["reports"]
    assert d_prev["report"] in {r["id"] for r in rows}
    assert all(r["period"] == prev for r in rows)

    lib.assert_error(stack.d.get("/api/v1/reports", token=stack.token("department", "hr")), 403, "forbidden")
    lib.assert_error(stack.d.get("/api/v1/reports"), 401, "unauthorized")
    lib.assert_error(stack.d.get("/api/v1/reports?period=2026-13-1", token=admin_token), 422, "invalid")


# ---------------------------------------------------------------------------
# GET /api/v1/issues, /api/v1/issues/{id}


@pytest.fixture(scope="module")
def dataset(_session_stack, _officer_pool):
    """Officer A: hiring (hr), planning (land+build), financing flagged difficult
    (finance) in the current period; officer B: hiring in the previous period."""
    st = _session_stack
    a, b = _officer_pool.pop(0), _officer_pool.pop(0)
    cur = lib.current_period()
    prev = lib.period_shift(cur, -1)
    ea, eb = ents(st, a), ents(st, b)
    da = submit(st, a, [lib.item(ea[0], topic="hiring"), lib.item(ea[1], topic="planning"),
                        lib.item(ea[2], topic="financing", difficult=True)], period=cur)
    db = submit(st, b, [lib.item(eb[0], topic="hiring")], period=prev)
    return {"a": a, "b": b, "cur": cur, "prev": prev, "ra": da, "rb": db,
            "hiring": da["issues"][0]["id"], "planning": da["issues"][1]["id"],
            "flagged": da["issues"][2]["id"], "late": db["issues"][0]["id"],
            "items": {da["issues"][0]["id"]: ("hiring", ea[0]), da["issues"][1]["id"]: ("planning", ea[1]),
                      da["issues"][2]["id"]: ("financing", ea[2])}}


def ids_of(rows):
    return [r["id"] for r in rows]


def test_issues_admin_filters(stack, dataset, admin_token):
    ds = dataset
    mine = {ds["hiring"], ds["planning"], ds["flagged"]}
    rows = list_issues(stack, admin_token)
    assert mine <= set(ids_of(rows)), rows
    created = [ts(r["created"]) for r in rows]
    assert created == sorted(created, reverse=True), "not newest first"

    rows = list_issues(stack, admin_token, "?period=" + ds["cur"])
    assert mine <= set(ids_of(rows)) and ds["late"] not in ids_of(rows)
    assert all(r["period"] == ds["cur"] for r in rows)
    rows = list_issues(stack, admin_token, "?period=" + ds["prev"])
    assert ds["late"] in ids_of(rows) and not mine & set(ids_of(rows))

    rows = list_issues(stack, admin_token, "?period=%s&category=difficult" % ds["cur"])
    assert {ds["planning"], ds["flagged"]} <= set(ids_of(rows)) and ds["hiring"] not in ids_of(rows)
    assert all(r["category"] == "difficult" for r in rows)
    rows = list_issues(stack, admin_token, "?period=%s&category=individual" % ds["cur"])
    assert ds["hiring"] in ids_of(rows) and not {ds["planning"], ds["flagged"]} & set(ids_of(rows))

    rows = list_issues(stack, admin_token, "?period=%s&state=queued" % ds["cur"])
    assert mine <= set(ids_of(rows))
    rows = list_issues(stack, admin_token, "?period=%s&state=closed" % ds["cur"])
    assert not mine & set(ids_of(rows))

    rows = list_issues(stack, admin_token, "?period=%s&department=hr" % ds["cur"])
    assert ds["hiring"] in ids_of(rows) and ds["planning"] not in ids_of(rows)
    assert all("hr" in r["departments"] for r in rows)
    rows = list_issues(stack, admin_token, "?period=%s&department=build" % ds["cur"])
    assert ds["planning"] in ids_of(rows) and ds["hiring"] not in ids_of(rows)

    rows = list_issues(stack, admin_token, "?limit=1")
    assert len(rows) == 1


@pytest.mark.parametrize("query", ["?category=bogus", "?state=bogus", "?department=bogus",
                                   "?period=2026-13-1", "?period=2026-11-3", "?period=yesterday"])
def test_issues_bad_filter_422(stack, admin_token, query):
    lib.assert_error(stack.d.get("/api/v1/issues" + query, token=admin_token), 422, "invalid")


def test_issues_department_isolation(stack, dataset):
    ds = dataset
    hr = stack.token("department", "hr")
    rows = list_issues(stack, hr)
    assert ds["hiring"] in ids_of(rows) and ds["planning"] not in ids_of(rows) and ds["flagged"] not in ids_of(rows)
    assert all("hr" in r["departments"] for r in rows), rows
    rows = list_issues(stack, hr, "?department=hr")
    assert ds["hiring"] in ids_of(rows)
    assert all("hr" in r["departments"] for r in rows)
    lib.assert_error(stack.d.get("/api/v1/issues?department=land", token=hr), 403, "forbidden")
    land = stack.token("department", "land")
    rows = list_issues(stack, land)
    assert ds["planning"] in ids_of(rows) and ds["hiring"] not in ids_of(rows)
    assert all("land" in r["departments"] for r in rows)


def test_issues_officer_sees_only_own(stack, dataset):
    ds = dataset
    rows = list_issues(stack, stack.token("officer", ds["a"]))
    assert {ds["hiring"], ds["planning"], ds["flagged"]} <= set(ids_of(rows))
    assert all(r.get("officer", ds["a"]) == ds["a"] for r in rows)
    assert ds["late"] not in ids_of(rows)
    rows = list_issues(stack, stack.token("officer", ds["b"]))
    assert ds["hiring"] not in ids_of(rows)


def check_issue_object(iss, ds, iid):
    keys = {"id", "report", "officer", "enterprise", "topic", "title", "detail", "difficult", "period",
            "category", "state", "departments", "group", "created", "tasks", "history"}
    assert keys <= set(iss), keys - set(iss)
    topic, ent = ds["items"][iid]
    assert iss["id"] == iid and iss["report"] == ds["ra"]["report"] and iss["officer"] == ds["a"]
    assert iss["enterprise"] == ent and iss["topic"] == topic and iss["period"] == ds["cur"]
    assert isinstance(iss["title"], str) and iss["title"] and isinstance(iss["detail"], str)
    assert isinstance(iss["difficult"], bool)
    assert iss["group"] is None
    assert iss["state"] == "queued"
    assert ISO_RE.match(iss["created"]) and iss["created"].endswith("+08:00"), iss["created"]
    assert iss["history"], "empty history"
    at = []
    for h in iss["history"]:
        assert set(h) >= {"at", "actor", "event", "reason"}, h
        assert ISO_RE.match(h["at"]), h
        at.append(ts(h["at"]))
    assert at == sorted(at), "history not oldest first"
    assert sorted(t["department"] for t in iss["tasks"]) == sorted(iss["departments"])
    for t in iss["tasks"]:
        tk = {"id", "department", "state", "claimant", "issues", "created", "deadline", "response", "resolution"}
        assert tk <= set(t), tk - set(t)
        assert t["state"] == "queued" and t["claimant"] is None
        assert t["response"] is None and t["resolution"] is None
        assert iid in t["issues"]
        for f in ("created", "deadline"):
            assert isinstance(t[f], str) and ISO_RE.match(t[f]), "task %s: %r" % (f, t)
        assert ts(t["deadline"]) > ts(t["created"])


def test_issue_detail_access(stack, dataset, admin_token):
    ds = dataset
    iid = ds["planning"]
    path = "/api/v1/issues/" + iid
    for tok in (stack.token("officer", ds["a"]), stack.token("department", "land"),
                stack.token("department", "build"), admin_token):
        resp = stack.d.get(path, token=tok)
        assert resp.status == 200, resp
        iss = resp.json()
        check_issue_object(iss, ds, iid)
        assert iss["category"] == "difficult" and sorted(iss["departments"]) == ["build", "land"]
    lib.assert_error(stack.d.get(path, token=stack.token("officer", ds["b"])), 403, "forbidden")
    lib.assert_error(stack.d.get(path, token=stack.token("department", "hr")), 403, "forbidden")
    lib.assert_error(stack.d.get(path), 401, "unauthorized")


def test_issue_detail_fields(stack, dataset, admin_token):
    ds = dataset
    for key, category, difficult in (("hiring", "individual", False), ("flagged", "difficult", True)):
        iss = stack.d.get("/api/v1/issues/" + ds[key], token=admin_token).json()
        check_issue_object(iss, ds, ds[key])
        assert iss["category"] == category and iss["difficult"] is difficult, iss


@pytest.mark.parametrize("iid", ["I999999999", "nope", "R1"])
def test_issue_unknown_404(stack, admin_token, iid):
    lib.assert_error(stack.d.get("/api/v1/issues/" + iid, token=admin_token), 404, "not_found")
