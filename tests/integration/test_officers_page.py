"""/officers, the zone office's view of its officers' 现实表现 (SPEC §11):
admin sessions only; one row per officer with the same figures as GET
/api/v1/officers; every column sorts both ways on the server (no
JavaScript); officers with no visit in visit_days are marked; each
officer's detail (the row, the days since each enterprise's last visit, the
visits, talks, outcomes and issues raised) is one tap away; bad sort words
and ranges are a 4xx that names them."""

import html
import re

import pytest

import flow
import lib

RANGE = "from=%s-01-01&to=%s" % (flow.today()[:4], flow.today())


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("officers")), conf={"fieldwork": {"visit_days": 10}}) as s:
        yield s


@pytest.fixture(scope="module")
def admin(st):
    return flow.web_login(st, st.token("admin", "ops"))


@pytest.fixture(scope="module")
def work(st):
    """O001 visits twice with suggestions and records a talk and an outcome
    tied to an issue it raised; O002 visits once, 12 days ago; the rest
    visit nothing. {"issue": id}."""
    a, b = "O001", "O002"
    ents = st.officer(a)["enterprises"]
    flow.visit(st, a, ents[0], suggestions=3, note="<b>座谈</b>记录")
    flow.visit(st, a, ents[0], suggestions=1, mode="forum")
    flow.visit(st, b, st.officer(b)["enterprises"][0], date=flow.day_shift(-12), suggestions=5)
    resp = flow.fieldwork_post(st, "events", {"kind": "theory", "date": flow.today(), "title": "学习二十大精神",
                                              "audience": 120, "enterprises": ents[:1]}, a)
    assert resp.status == 201, resp
    doc = flow.submit(st, a, [lib.item(ents[0], topic="hiring", title="招工难", detail="缺少技术工人")])
    issue = doc["issues"][0]["id"]
    resp = flow.fieldwork_post(st, "outcomes", {"enterprise": ents[0], "kind": "tax_relief", "date": flow.today(),
                                                "amount": 61780000.5, "issue": issue, "note": "减免"}, a)
    assert resp.status == 201, resp
    return {"issue": issue}


def api_rows(st):
    rows = st.d.get("/api/v1/officers?limit=100&" + RANGE, token=flow.admin(st)).json()["officers"]
    assert len(rows) == len(st.roster["officers"])
    return rows


def page(st, admin, query=""):
    r = flow.web_get(st, "/officers?" + RANGE + query, admin)
    assert r.status == 200, r
    return r.body.decode()


def table_rows(text):
    """{officer id: {column: cell text}} in the page's order (a list of pairs)."""
    out = []
    for m in re.finditer(r'<tr id="officer-([^"]+)"([^>]*)>(.*?)</tr>', text, re.S):
        cells = dict(re.findall(r'data-column="([^"]+)">([^<]*)</td>', m.group(3)))
        cells["_idle_class"] = 'class="idle"' in m.group(2)
        cells["_badge"] = "超期未走访</span>" in m.group(3)
        out.append((m.group(1), cells))
    return out


def api_value(row, column):
    fixed = {"due": row["periods"]["due"], "on_time": row["periods"]["on_time"], "late": row["periods"]["late"],
             "missed": row["periods"]["missed"], "visits": row["visits"], "linked": row["enterprises"]["linked"],
             "visited": row["enterprises"]["visited"], "suggestions": row["suggestions"], "events": row["events"],
             "raised": row["issues"]["raised"], "resolved": row["issues"]["resolved"],
             "satisfied": row["issues"]["satisfied"], "idle": row["idle"]}
    if column in fixed:
        return fixed[column]
    return row["outcomes"][column]


def cell_text(column, value):
    if column == "idle":
        return "是" if value else "否"
    if column in ("tax_relief", "funding"):
        return "%.2f" % value
    return "%d" % value


def test_only_an_admin_session_opens_the_officers_pages(st):
    for path in ("/officers", "/officers/O001"):
        assert "使用令牌登录" in flow.web_get(st, path, "").body.decode()
        for role, ident in (("officer", "O001"), ("department", "hr")):
            r = flow.web_get(st, path, flow.web_login(st, st.token(role, ident)))
            assert r.status == 403, (path, role, r)


def test_the_admin_page_links_to_the_officers_page(st, admin):
    assert 'href="/officers"' in flow.web_get(st, "/admin", admin).body.decode()


def test_the_table_shows_every_officer_with_the_apis_figures(st, admin, work):
    text = page(st, admin)
    assert "<script" not in text
    rows = dict(table_rows(text))
    api = api_rows(st)
    assert [o for o, _ in table_rows(text)] == [r["officer"] for r in api]   # roster order by default
    for row in api:
        cells = rows[row["officer"]]
        for column in [c for c in cells if not c.startswith("_")]:
            assert cells[column] == cell_text(column, api_value(row, column)), (row["officer"], column, cells)
    a = rows["O001"]
    assert a["visits"] == "2" and a["suggestions"] == "4" and a["events"] == "1" and a["raised"] == "1", a
    assert a["tax_relief"] == "61780000.50", a
    assert len([c for c in rows["O001"] if not c.startswith("_")]) == 19


def test_officers_with_no_visit_in_visit_days_are_marked(st, admin, work):
    text = page(st, admin)
    rows = dict(table_rows(text))
    api = {r["officer"]: r for r in api_rows(st)}
    assert rows["O001"]["_idle_class"] is False and rows["O001"]["_badge"] is False
    # O002's only visit is 12 days old: past visit_days (10)
    for oid in ("O002", "O003"):
        assert rows[oid]["_idle_class"] and rows[oid]["_badge"] and rows[oid]["idle"] == "是", oid
    for oid, cells in rows.items():
        assert cells["_idle_class"] == api[oid]["idle"], oid
    idle = sum(1 for r in api.values() if r["idle"])
    assert 'id="idle-count">%d</strong>' % idle in text and "10 天内未走访" in text


def test_every_column_sorts_both_ways_with_ties_in_roster_order(st, admin, work):
    api = api_rows(st)
    order = [r["officer"] for r in api]
    text = page(st, admin)
    columns = re.findall(r'<th scope="col"[^>]*><a href="/officers\?[^"]*sort=([a-z_]+)', text)
    assert len(columns) == 20 and columns[0] == "name" and columns[-1] == "idle", columns
    for column in columns:
        for desc in (False, True):
            got = page(st, admin, "&sort=%s&order=%s" % (column, "desc" if desc else "asc"))
            if column == "name":
                key = lambda r: r["name"]
            else:
                key = lambda r: api_value(r, column)
            # the page's rule: by the column, equal values in the roster's order
            groups = {}
            for r in sorted(api, key=lambda r: order.index(r["officer"])):
                groups.setdefault(key(r), []).append(r["officer"])
            want = [o for k in sorted(groups, reverse=desc) for o in groups[k]]
            assert [o for o, _ in table_rows(got)] == want, (column, desc)
            mark = 'aria-sort="%s"' % ("descending" if desc else "ascending")
            assert re.search(r'<th scope="col" %s><a href="[^"]*sort=%s&amp;order=%s"' %
                             (mark, column, "asc" if desc else "desc"), got), (column, desc)


def test_a_bad_sort_order_or_range_is_refused_and_named(st, admin):
    for query, status, words in (("sort=salary", 400, "不能按这一列排序"), ("sort=visits&order=up", 400, "asc 或 desc"),
                                 ("from=2026-13-01", 422, "YYYY-MM-DD"), ("from=2026-02-01&to=2026-01-01", 422, "after"),
                                 ("page=2", 400, "unknown"), ("sort=visits&sort=events", 400, "twice")):
        r = flow.web_get(st, "/officers?" + query, admin)
        assert r.status == status, (query, r)
        assert words in r.body.decode(), (query, r.body.decode()[:1500])
    r = flow.web_get(st, "/officers/O001?sort=visits", admin)
    assert r.status == 400, r
    r = flow.web_get(st, "/officers/O999", admin)
    assert r.status == 404 and "没有这名指导员" in r.body.decode(), r


def test_the_detail_shows_the_row_the_days_since_each_visit_and_the_records(st, admin, work):
    text = page(st, admin)
    link = re.search(r'<a href="(/officers/O001\?[^"]*)">', text).group(1)
    r = flow.web_get(st, html.unescape(link), admin)
    assert r.status == 200, r
    detail = r.body.decode()
    assert "<script" not in detail
    row = next(x for x in api_rows(st) if x["officer"] == "O001")
    for column in ("visits", "suggestions", "events", "raised", "tax_relief"):
        assert 'data-column="%s">%s</dd>' % (column, cell_text(column, api_value(row, column))) in detail, column
    ents = st.officer("O001")["enterprises"]
    names = {e["id"]: e["name"] for e in st.roster["enterprises"]}
    first = detail[detail.index('id="enterprise-%s"' % ents[0]):]
    assert first[:first.index("</li>")].endswith("0 天前走访</span>"), first[:300]
    never = detail[detail.index('id="enterprise-%s"' % ents[1]):]
    assert "从未走访" in never[:never.index("</li>")]
    visits = detail[detail.index('id="visits"'):detail.index('id="events"')]
    assert visits.count("<li>") == 2 and "集中座谈" in visits and names[ents[0]] in visits
    assert "&lt;b&gt;座谈&lt;/b&gt;记录" in visits and "<b>座谈</b>" not in detail
    events = detail[detail.index('id="events"'):detail.index('id="outcomes"')]
    assert "理论宣讲" in events and "学习二十大精神" in events and "受众 120 人次" in events
    outcomes = detail[detail.index('id="outcomes"'):detail.index('id="issues"')]
    assert "税收优惠 61780000.50 元" in outcomes and "问题 %s" % work["issue"] in outcomes
    issues = detail[detail.index('id="issues"'):]
    assert 'id="issue-%s"' % work["issue"] in issues and "招工难" in issues


def test_the_detail_of_an_officer_with_nothing_says_so(st, admin, work):
    detail = flow.web_get(st, "/officers/O003?" + RANGE, admin).body.decode()
    assert detail.count("这段时间没有记录。") == 3 and "没有反映过问题。" in detail
    assert "超期未走访" in detail


def test_reading_the_pages_changes_nothing(st, admin, work):
    before = lib.stable_snapshot(st.r)
    page(st, admin, "&sort=visits&order=desc")
    flow.web_get(st, "/officers/O001?" + RANGE, admin)
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
