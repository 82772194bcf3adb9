"""The public ledger, GET /api/v1/ledger: every department's scorecard
(received, claimed on time, 响应率, 办结率, 满意率) over a scenario with known
answers, its issue rows, its filters, what it never shows, and its
refusals.

Deadlines are in seconds: [deadlines] claim_seconds = 2, respond_seconds =
4, resolve_seconds = 6, counted from the task's creation. Seven issues of
officer O002, on a Redis of their own:
  A  hiring  claimed, responded, resolved at once; confirmed satisfied
  B  hiring  claimed, responded, resolved at once; confirmed basic
  C  hiring  claimed at once, never responded
  D  hiring  never claimed
  E  hiring  returned (退单) at once
  F  hiring  claimed and responded only after 4.5 s (both late)
  G  planning (land and build), reported after the others' deadlines, untouched
The figures are read once every deadline of A-F has passed (7 s).
"""

import pytest

import lib
from flow import submit

# The scenario above is the `led` fixture (conftest.py), shared with test_ledger_files.py.


def ledger(st, query=""):
    resp = st.d.get("/api/v1/ledger" + query)
    assert resp.status == 200, resp
    return resp.json()


def dept(doc, d):
    return next(x for x in doc["departments"] if x["id"] == d)


def test_hr_scorecard(led):
    doc = ledger(led["st"])
    assert dept(doc, "hr") == {
        "id": "hr", "name": "人力资源和社会保障局",
        "received": 6, "returned": 1,
        "claimed": 4, "claimed_on_time": 3,           # A B C on time, F late
        "responded": 3, "responded_on_time": 2,       # A B; F late
        "resolved": 2, "resolved_on_time": 2,
        "due": 5,                                     # A B resolved; C D F open past due
        "open": 3, "overdue": 3,
        "rated": 2, "satisfied": 2,
        "extended": 0,                                # no 延期 approved (issue 16)
        "response_due": 5,                            # A B F answered; C D past due
        "response_rate": 0.4,                         # 2 / 5
        "resolution_rate": 0.4,                       # 2 / 5
        "satisfaction_rate": 1.0,
        # issue 16: 30 × 0.4 + 35 × 0.4 + 35 × 1.0; every other department
        # has nothing to measure, so the zone's rates, the same score
        "score": 61.0, "rank": 1,
    }


def test_untouched_departments_and_total(led):
    doc = ledger(led["st"])
    for d in ("land", "build"):
        s = dept(doc, d)
        assert (s["received"], s["open"], s["due"], s["overdue"]) == (1, 1, 0, 0)
        # G arrived a moment ago: its response is not due yet, so it is
        # not counted against them (响应率 counts only what was due)
        assert s["response_due"] == 0 and s["response_rate"] is None
        assert s["resolution_rate"] is None and s["satisfaction_rate"] is None
    quiet = dept(doc, "tax")
    assert quiet["received"] == 0 and quiet["response_rate"] is None
    assert [d["id"] for d in doc["departments"]] == [d["id"] for d in led["st"].roster["departments"]]
    total = doc["total"]
    assert (total["received"], total["returned"], total["resolved"], total["due"]) == (8, 1, 2, 5)
    assert total["response_due"] == 5 and total["response_rate"] == 0.4
    assert total["name"] == led["st"].roster["zone"]["name"] and "id" not in total
    # a rate with nothing to measure counts as the zone's (SPEC §12): the
    # untouched departments score the zone's 61.0 and share its rank
    assert total["score"] == 61.0 and "rank" not in total
    for d in ("land", "build", "tax"):
        assert (dept(doc, d)["score"], dept(doc, d)["rank"]) == (61.0, 1), dept(doc, d)


def test_score_weights_come_from_the_config(fresh_stack):
    """[ledger] weights: the response rate alone; a ledger with nothing to
    measure has no score and no rank (null), and the page shows 得分, 排名
    and the bars as inline SVG with a title."""
    st = fresh_stack(conf={"ledger": {"weights": "100,0,0"}})
    doc = ledger(st)
    assert all(d["score"] is None and d["rank"] is None for d in doc["departments"]), doc["departments"]
    assert doc["total"]["score"] is None
    page = st.d.get("/ledger").body.decode()
    assert "<th>得分</th><th>排名</th>" in page
    assert "得分 = 100 × 响应率 + 0 × 办结率 + 0 × 满意率" in page
    svg = page[page.index('<svg id="chart-scores"'):page.index("</svg>")]
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    assert svg.count("<g data-department=") == len(st.roster["departments"])


def test_ledger_page_shows_score_rank_and_bars(led):
    st = led["st"]
    page = st.d.get("/ledger").body.decode()
    table = page[page.index('id="scores"'):page.index("</table>", page.index('id="scores"'))]
    hr = table[table.index('data-department="hr"'):]
    hr = hr[:hr.index("</tr>")]
    assert '<td class="num score">61.0</td><td class="num rank">1</td>' in hr, hr
    svg = page[page.index('<svg id="chart-scores"'):page.index("</svg>")]
    g = svg[svg.index('<g data-department="hr">'):]
    g = g[:g.index("</g>")]
    # 响应率 40 % of the 230-unit bar, 满意率 all of it, the score 61 %
    assert 'width="92" height="12" fill="#2563eb"' in g, g
    assert 'width="230" height="12" fill="#d97706"' in g, g
    assert 'width="140" height="12" fill="#c8102e"' in g, g
    assert "<title>得分 61.0</title>" in g and "（第 1 名）" in g


def test_categories_and_rows(led):
    doc = ledger(led["st"])
    # C, D and F passed a deadline (escalation made them difficult); G needs
    # two departments, which makes it difficult from the start
    assert doc["by_category"] == {"individual": 3, "common": 0, "difficult": 4}
    assert doc["period"] == lib.current_period()
    rows = {r["id"]: r for r in doc["issues"]}
    assert set(rows) == set(led["issues"].values())
    ids = [r["id"] for r in doc["issues"]]
    assert ids[-1] == led["issues"]["G"], "oldest first"
    a = rows[led["issues"]["A"]]
    assert a["state"] == "closed" and a["satisfaction"] == "satisfied"
    assert a["tasks"][0]["resolved_at"] is not None and a["tasks"][0]["resolution"]
    g = rows[led["issues"]["G"]]
    assert g["departments"] == ["land", "build"] and g["topic_name"] == "规划建设"
    d = rows[led["issues"]["D"]]
    assert d["tasks"][0]["overdue"] is True and d["tasks"][0]["claimed_at"] is None
    for r in doc["issues"]:
        assert not {"officer", "detail", "enterprise", "enterprise_name", "report"} & set(r), r
        for t in r["tasks"]:
            assert "claimant" not in t


def test_filters(led):
    st, iss = led["st"], led["issues"]
    assert {r["id"] for r in ledger(st, "?category=difficult")["issues"]} == {iss[n] for n in "CDFG"}
    assert {r["id"] for r in ledger(st, "?state=returned")["issues"]} == {iss["E"]}
    assert {r["id"] for r in ledger(st, "?department=build")["issues"]} == {iss["G"]}
    both = ledger(st, "?department=hr&state=closed")
    assert {r["id"] for r in both["issues"]} == {iss["A"], iss["B"]}
    # the scorecards are the whole period's whatever the filter
    assert dept(both, "hr")["received"] == 6
    other = lib.period_shift(lib.current_period(), -2)
    empty = ledger(st, "?period=" + other)
    assert empty["issues"] == [] and dept(empty, "hr")["received"] == 0


@pytest.mark.parametrize("query,field", [
    ("?period=2026-13-1", "period"),
    ("?period=yesterday", "period"),
    ("?category=urgent", "category"),
    ("?state=open", "state"),
    ("?department=nosuch", "department"),
])
def test_bad_filters(led, query, field):
    before = lib.redis_snapshot(led["st"].r)
    lib.assert_error(led["st"].d.get("/api/v1/ledger" + query), 422, "invalid", field)
    lib.assert_unchanged(before, lib.redis_snapshot(led["st"].r))


def test_unknown_parameter_and_method(led):
    st = led["st"]
    assert st.d.get("/api/v1/ledger?officer=O002").status == 400
    assert st.d.post("/api/v1/ledger", {}).status == 405


def test_enterprises_shown_only_when_configured(fresh_stack):
    st = fresh_stack(conf={"ledger": {"show_enterprises": "yes"}})
    oid = "O003"
    ent = st.officer(oid)["enterprises"][0]
    submit(st, oid, [lib.item(ent)])
    row = ledger(st)["issues"][0]
    name = next(e["name"] for e in st.roster["enterprises"] if e["id"] == ent)
    assert (row["enterprise"], row["enterprise_name"]) == (ent, name)
    assert "officer" not in row and "detail" not in row


# A change to an issue as another daemon's workflow.lua makes it: the hash,
# and the issue in its period's change index (prelude.lua's ledger_flush),
# which every daemon's cached ledger catches up from.
ANOTHER_DAEMON = """
local k = ARGV[1] .. 'issue:' .. ARGV[2]
redis.call('HSET', k, ARGV[3], ARGV[4])
local p = redis.call('HGET', k, 'period')
local seq = redis.call('HINCRBY', ARGV[1] .. 'ledger:seq', p, 1)
redis.call('ZADD', ARGV[1] .. 'ledger:changed:' .. p, seq, ARGV[2])
"""


def change_as_another_daemon(st, iid, field, value):
    st.r.eval(ANOTHER_DAEMON, 0, lib.PREFIX, iid, field, value)


def test_cache_serves_reads_and_drops_on_own_change(fresh_stack):
    """A read ledger answers for [ledger] cache_ms: a change written into
    Redis behind the daemon's back (as another daemon would) is not seen
    until then; a change made through this daemon is seen at once."""
    st = fresh_stack(conf={"ledger": {"cache_ms": "1500"}})
    oid = "O004"
    ents = st.officer(oid)["enterprises"]
    first = submit(st, oid, [lib.item(ents[0], title="原来的标题")])["issues"][0]["id"]
    assert ledger(st)["issues"][0]["title"] == "原来的标题"
    change_as_another_daemon(st, first, "title", "别的进程改的标题")
    for path in ("/api/v1/ledger", "/ledger"):
        resp = st.d.get(path)
        assert resp.status == 200
        assert "原来的标题" in resp.body.decode() and "别的进程改的标题" not in resp.body.decode()
    lib.wait_for(lambda: ledger(st)["issues"][0]["title"] == "别的进程改的标题", 5,
                 what="the cached ledger to expire")
    change_as_another_daemon(st, first, "title", "再改一次")
    second = submit(st, oid, [lib.item(ents[0])])["issues"][0]["id"]
    doc = ledger(st)
    assert [r["id"] for r in doc["issues"]] == [first, second]
    assert doc["issues"][0]["title"] == "再改一次"
    assert dept(doc, "hr")["received"] == 2


def test_cache_off(fresh_stack):
    st = fresh_stack(conf={"ledger": {"cache_ms": "0"}})
    oid = "O004"
    iid = submit(st, oid, [lib.item(st.officer(oid)["enterprises"][0])])["issues"][0]["id"]
    ledger(st)
    st.r.hset(lib.PREFIX + "issue:" + iid, "title", "立即可见")
    assert ledger(st)["issues"][0]["title"] == "立即可见"


def test_cache_dropped_when_escalation_changes_something(fresh_stack):
    """The escalation timer runs every second and mostly changes nothing, so
    it does not drop the cache then; when it does escalate, it does."""
    st = fresh_stack(conf={"ledger": {"cache_ms": "60000"}, "deadlines": {"claim_seconds": "2"}})
    oid = "O005"
    iid = submit(st, oid, [lib.item(st.officer(oid)["enterprises"][0])])["issues"][0]["id"]
    row = ledger(st)["issues"][0]
    assert row["category"] == "individual" and row["tasks"][0]["overdue"] is False
    admin = st.token("admin", "ops")
    lib.wait_for(lambda: st.d.get("/api/v1/issues/" + iid, token=admin).json()["category"] == "difficult",
                 10, what="the claim deadline to be escalated")
    row = ledger(st)["issues"][0]
    assert row["category"] == "difficult" and row["tasks"][0]["overdue"] is True
