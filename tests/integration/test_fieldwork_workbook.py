"""The ledger workbook's field-work sheets (SPEC §11): 走访记录, 宣讲活动,
工作成效 and 指导员表现 after the ledger's sheets, in the zone office's
workbook only, read back with openpyxl and checked cell by cell against the
JSON of the same records (GET /api/v1/visits, /events, /outcomes and
/api/v1/officers for the period's days); each set up for print as the
ledger's sheets are; liaisonctl ledger export writes the same."""

import calendar
import datetime
import io
import re

import openpyxl
import pytest

import flow
import lib

LEDGER_SHEETS = ["汇总", "个性问题", "共性问题", "疑难问题", "往期未销号"]
AGENDA_SHEET = "例会议题"   # the zone's workbook of the current period (issue 16)
FIELDWORK_SHEETS = ["走访记录", "宣讲活动", "工作成效", "指导员表现"]
MODES = {"visit": "走访", "forum": "集中座谈", "interview": "个别访谈", "sit_in": "列席旁听"}
EVENTS = {"theory": "理论宣讲", "policy": "政策宣讲", "other": "其他宣讲"}
OUTCOMES = {"party_org": ("党组织成立", "家"), "mass_org": ("群团组织成立", "家"), "hires": ("帮助招聘", "人"),
            "tax_relief": ("税收优惠", "元"), "funding": ("融资/补贴", "元"), "other": ("其他", "项")}
PERFORMANCE = ["应报期数", "按时报送", "迟报", "未报", "走访次数", "联系企业", "已走访企业", "意见建议",
               "宣讲场次", "反映问题", "已办结", "满意", "党组织成立", "群团组织成立", "帮助招聘", "税收优惠",
               "融资/补贴", "其他"]
TITLE_ROWS = 2


def period_days(period):
    y, m, h = (int(x) for x in period.split("-"))
    first = datetime.date(y, m, 1 if h == 1 else 16)
    last = datetime.date(y, m, 15 if h == 1 else calendar.monthrange(y, m)[1])
    return first.isoformat(), last.isoformat()


@pytest.fixture(scope="module")
def fw(tmp_path_factory):
    """Visits, talks and outcomes of two officers in this period (and one
    visit of the previous period, which the sheets leave out)."""
    with lib.Stack(str(tmp_path_factory.mktemp("fwbook"))) as st:
        a, b = "O001", "O002"
        ea, eb = st.officer(a)["enterprises"], st.officer(b)["enterprises"]
        today = flow.today()
        first, last = period_days(lib.current_period())
        flow.visit(st, a, ea[0], suggestions=3, note="了解企业用工缺口，约定下周再访" * 3)
        flow.visit(st, a, ea[1] if len(ea) > 1 else ea[0], mode="forum", suggestions=0)
        flow.visit(st, b, eb[0], mode="sit_in", suggestions=7, note="<列席>党员大会")
        flow.visit(st, b, eb[0], date=flow.day_shift(-16), note="上一期的走访")
        for oid, kind, title, n, ents in ((a, "theory", "学习贯彻党的二十大精神", 120, ea[:2]),
                                          (b, "policy", "减税降费政策解读", 45, eb[:1])):
            r = flow.fieldwork_post(st, "events", {"kind": kind, "date": today, "title": title, "audience": n,
                                                   "enterprises": ents}, oid)
            assert r.status == 201, r
        issue = flow.submit(st, a, [lib.item(ea[0], topic="hiring", title="招工难", detail="缺技术工人")])
        iid = issue["issues"][0]["id"]
        for oid, ent, kind, amount, link in ((a, ea[0], "tax_relief", 61780000.5, iid), (a, ea[0], "hires", 12, None),
                                             (b, eb[0], "party_org", 1, None)):
            body = {"enterprise": ent, "kind": kind, "date": today, "amount": amount, "note": "成效说明"}
            if link:
                body["issue"] = link
            r = flow.fieldwork_post(st, "outcomes", body, oid)
            assert r.status == 201, r
        yield {"st": st, "first": first, "last": last, "issue": iid}


def get_workbook(st, token):
    r = lib.request(st.d.port, "GET", "/api/v1/ledger.xlsx", headers={"Authorization": "Bearer " + token})
    assert r.status == 200, r
    return openpyxl.load_workbook(io.BytesIO(r.body))


def rows_of(ws):
    rows = [list(r) for r in ws.iter_rows(values_only=True)][TITLE_ROWS:]
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def api_list(fx, kind):
    st = fx["st"]
    r = st.d.get("/api/v1/%s?from=%s&to=%s&limit=100" % (kind, fx["first"], fx["last"]), token=flow.admin(st))
    assert r.status == 200, r
    return list(reversed(r.json()[kind]))          # the sheets: oldest first


def names(st):
    return ({o["id"]: o["name"] for o in st.roster["officers"]},
            {e["id"]: e["name"] for e in st.roster["enterprises"]})


def day(cell):
    assert isinstance(cell, datetime.datetime), cell
    return cell.date().isoformat()


def test_the_zone_workbook_ends_with_the_four_field_work_sheets(fw):
    st = fw["st"]
    wb = get_workbook(st, st.token("admin", "clerk"))
    assert wb.sheetnames == LEDGER_SHEETS + [AGENDA_SHEET] + FIELDWORK_SHEETS
    dept = get_workbook(st, st.token("department", "hr"))
    assert dept.sheetnames == LEDGER_SHEETS, "a department's workbook has no officers' sheets"


def test_visits_sheet_matches_the_json_cell_by_cell(fw):
    st = fw["st"]
    officers, ents = names(st)
    headers, rows = rows_of(get_workbook(st, st.token("admin", "clerk"))["走访记录"])
    assert headers == ["编号", "日期", "指导员", "企业名称", "统一社会信用代码", "走访方式", "意见建议（条）", "走访情况"]
    want = api_list(fw, "visits")
    assert len(want) == 3 and len(rows) == 3, rows
    for row, v in zip(rows, want):
        assert row["编号"] == v["id"] and day(row["日期"]) == v["date"]
        assert row["指导员"] == officers[v["officer"]]
        assert row["企业名称"] == ents[v["enterprise"]] and row["统一社会信用代码"] == v["enterprise"]
        assert row["走访方式"] == MODES[v["mode"]] and row["意见建议（条）"] == v["suggestions"]
        assert (row["走访情况"] or "") == v.get("note", "")
    assert "上一期的走访" not in [r["走访情况"] for r in rows]


def test_talks_sheet_matches_the_json_cell_by_cell(fw):
    st = fw["st"]
    officers, ents = names(st)
    headers, rows = rows_of(get_workbook(st, st.token("admin", "clerk"))["宣讲活动"])
    assert headers == ["编号", "日期", "指导员", "宣讲类别", "宣讲主题", "受众（人次）", "覆盖企业"]
    want = api_list(fw, "events")
    assert len(rows) == len(want) == 2
    for row, e in zip(rows, want):
        assert row["编号"] == e["id"] and day(row["日期"]) == e["date"]
        assert row["指导员"] == officers[e["officer"]] and row["宣讲类别"] == EVENTS[e["kind"]]
        assert row["宣讲主题"] == e["title"] and row["受众（人次）"] == e["audience"]
        assert row["覆盖企业"] == "、".join(ents[x] for x in e["enterprises"])


def test_outcomes_sheet_matches_the_json_cell_by_cell(fw):
    st = fw["st"]
    officers, ents = names(st)
    ws = get_workbook(st, st.token("admin", "clerk"))["工作成效"]
    headers, rows = rows_of(ws)
    assert headers == ["编号", "日期", "指导员", "企业名称", "成效类别", "数量", "单位", "关联问题", "说明"]
    want = api_list(fw, "outcomes")
    assert len(rows) == len(want) == 3
    for i, (row, c) in enumerate(zip(rows, want)):
        assert row["编号"] == c["id"] and day(row["日期"]) == c["date"]
        assert row["指导员"] == officers[c["officer"]] and row["企业名称"] == ents[c["enterprise"]]
        assert (row["成效类别"], row["单位"]) == OUTCOMES[c["kind"]]
        assert row["数量"] == c["amount"], (row, c)
        assert row["关联问题"] == c["issue"] and row["说明"] == c["note"]
        if c["kind"] == "tax_relief":
            assert row["数量"] == 61780000.5 and row["关联问题"] == fw["issue"]
            cell = ws.cell(row=TITLE_ROWS + 2 + i, column=headers.index("数量") + 1)
            assert cell.number_format == "0.00"


def test_officers_sheet_is_the_apis_performance_for_the_period(fw):
    st = fw["st"]
    headers, rows = rows_of(get_workbook(st, st.token("admin", "clerk"))["指导员表现"])
    assert headers == ["指导员编号", "指导员", "所在单位"] + PERFORMANCE + ["超期未走访"]
    api = st.d.get("/api/v1/officers?limit=100&from=%s&to=%s" % (fw["first"], fw["last"]),
                   token=flow.admin(st)).json()["officers"]
    assert [r["指导员编号"] for r in rows] == [o["officer"] for o in api] == [o["id"] for o in st.roster["officers"]]
    for row, o in zip(rows, api):
        want = [o["periods"]["due"], o["periods"]["on_time"], o["periods"]["late"], o["periods"]["missed"],
                o["visits"], o["enterprises"]["linked"], o["enterprises"]["visited"], o["suggestions"],
                o["events"], o["issues"]["raised"], o["issues"]["resolved"], o["issues"]["satisfied"]] + \
               [o["outcomes"][k] for k in OUTCOMES]
        assert [row[h] for h in PERFORMANCE] == want, (row, o)
        assert row["指导员"] == o["name"] and (row["所在单位"] or "") == o["unit"]
        assert row["超期未走访"] == ("是" if o["idle"] else "否")
    a = next(r for r in rows if r["指导员编号"] == "O001")
    assert a["走访次数"] == 2 and a["意见建议"] == 3 and a["宣讲场次"] == 1 and a["税收优惠"] == 61780000.5


def test_every_field_work_sheet_is_set_up_for_print(fw):
    st = fw["st"]
    period = lib.current_period()
    wb = get_workbook(st, st.token("admin", "clerk"))
    now = datetime.datetime.now(lib.TZ).replace(tzinfo=None)
    for name in FIELDWORK_SHEETS:
        ws = wb[name]
        assert int(ws.page_setup.paperSize) == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, name
        assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4", name
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert {str(r) for r in ws.merged_cells.ranges} == {"A1:%s1" % last, "A2:%s2" % last}, name
        assert ws["A1"].value == "%s联系服务台账（%s）" % (st.roster["zone"]["name"], name)
        line = ws["A2"].value
        assert "期次：%s" % period in line and "日期：%s 至 %s" % (fw["first"], fw["last"]) in line, line
        made = re.search(r"生成时间：(\d{4}-\d\d-\d\d \d\d:\d\d)", line)
        assert made and abs((now - datetime.datetime.strptime(made.group(1), "%Y-%m-%d %H:%M")).total_seconds()) < 120
        assert ws.oddHeader.center.text == st.roster["zone"]["name"] + "联系服务台账", name
        foot = ws.oddFooter
        assert "&P" in foot.center.text and "&N" in foot.center.text
        assert foot.right.text == "%s %s" % (name, period)
        assert ws.auto_filter.ref.startswith("A3:"), name
        for row in ws.iter_rows(min_row=TITLE_ROWS + 1):
            for c in row:
                assert c.border.left.style == "thin" and c.border.bottom.style == "thin", (name, c.coordinate)
    # a long note wraps, and its row is tall enough
    ws = wb["走访记录"]
    col = openpyxl.utils.get_column_letter(8)
    assert ws.column_dimensions[col].width <= 31
    assert max((ws.row_dimensions[r].height or 15) for r in range(TITLE_ROWS + 2, ws.max_row + 1)) >= 30


def test_liaisonctl_ledger_export_writes_the_same_field_work_sheets(fw, tmp_path):
    st = fw["st"]
    api = get_workbook(st, st.token("admin", "clerk"))
    out = str(tmp_path / "ledger.xlsx")
    p = st.d.ctl("ledger", "export", "-o", out)
    assert p.stdout == "" and p.stderr == ""
    ctl = openpyxl.load_workbook(out)
    assert ctl.sheetnames == api.sheetnames
    for name in FIELDWORK_SHEETS:
        assert [list(r) for r in ctl[name].iter_rows(values_only=True)][TITLE_ROWS:] == \
            [list(r) for r in api[name].iter_rows(values_only=True)][TITLE_ROWS:], name
    out = str(tmp_path / "hr.xlsx")
    st.d.ctl("ledger", "export", "--department", "hr", "-o", out)
    assert openpyxl.load_workbook(out).sheetnames == LEDGER_SHEETS


def test_reading_the_workbook_changes_nothing(fw):
    st = fw["st"]
    token = st.token("admin", "clerk")
    before = lib.stable_snapshot(st.r)
    get_workbook(st, token)
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
