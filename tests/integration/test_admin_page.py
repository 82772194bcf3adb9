"""/admin, the zone office's page (issue 17): admin sessions only, the same
CSRF and same-origin rules as the other pages; the triage list with the
departments' reasons and a re-route form, the category override, the dead
deliveries with retry and the digest resend, each running the API's route;
a refused form changes nothing and says why.
"""

import re
import urllib.parse

import pytest

import lib
from flow import act, act_ok, get_issue, get_task, submit

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("admin"))) as s:
        yield s


def login(st, token):
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token), ctype=FORM)
    assert r.status == 303, r
    return r.header("set-cookie").split(";")[0]


def get(st, path, cookie):
    return lib.request(st.d.port, "GET", path, headers={"Cookie": cookie})


def post(st, path, fields, cookie, headers=None):
    h = {"Cookie": cookie}
    h.update(headers or {})
    return lib.request(st.d.port, "POST", path, body=urllib.parse.urlencode(fields, doseq=True), ctype=FORM,
                       headers=h)


def csrf(body):
    return re.search(r'name="csrf" value="([^"]*)"', body).group(1)


@pytest.fixture(scope="module")
def admin(st):
    return login(st, st.token("admin", "ops"))


def returned_issue(st, oid, title):
    ent = st.officer(oid)["enterprises"][0]
    doc = submit(st, oid, [lib.item(ent, topic="hiring", title=title, detail=title + "，请协调")])
    issue = doc["issues"][0]
    act_ok(st, issue["tasks"][0]["id"], "return", text="此事属经济发展局职责")
    return issue["id"]


def test_only_an_admin_session_opens_the_page(st):
    assert "使用令牌登录" in get(st, "/admin", "").body.decode()
    for role, ident in (("officer", "O001"), ("department", "hr")):
        r = get(st, "/admin", login(st, st.token(role, ident)))
        assert r.status == 403, (role, r)


def test_the_triage_list_shows_the_reason_and_whom_to_call(st, admin):
    iid = returned_issue(st, "O002", "厂房租金补贴申请")
    body = get(st, "/admin", admin).body.decode()
    item = re.search(r'<li id="issue-%s">.*?</form></li>' % iid, body, re.S).group(0)
    assert "厂房租金补贴申请" in item and "此事属经济发展局职责" in item
    assert st.officer("O002")["name"] in item and 'href="tel:' in item
    for d in st.roster["departments"]:
        assert 'name="department" value="%s"' % d["id"] in item


def test_re_routing_from_the_page_runs_the_api_route(st, admin):
    iid = returned_issue(st, "O003", "企业技改项目申报")
    body = get(st, "/admin", admin).body.decode()
    r = post(st, "/admin/route", {"csrf": csrf(body), "issue": iid, "department": ["econ"],
                                  "reason": "属于企业服务"}, admin)
    assert r.status == 303 and r.header("location") == "/admin?ok=route&id=" + iid, r
    issue = get_issue(st, iid)
    assert issue["departments"] == ["econ"] and issue["state"] == "queued"
    assert any(h["event"] == "routed" and h["actor"] == "admin:ops" for h in issue["history"])
    done = get(st, "/admin?ok=route&id=" + iid, admin).body.decode()
    assert "%s 已重新分派。" % iid in done and 'id="issue-%s"' % iid not in done


def test_a_refused_re_route_says_why_and_changes_nothing(st, admin):
    iid = returned_issue(st, "O004", "人才公寓申请")
    body = get(st, "/admin", admin).body.decode()
    before = lib.stable_snapshot(st.r)
    r = post(st, "/admin/route", {"csrf": csrf(body), "issue": iid, "department": ["nowhere"],
                                  "reason": "x"}, admin)
    assert r.status == 422, r
    assert 'id="refused"' in r.body.decode() and "重新分派未成功（422）" in r.body.decode()
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def test_the_category_override_keeps_the_reason(st, admin):
    iid = returned_issue(st, "O005", "园区停车难")
    body = get(st, "/admin", admin).body.decode()
    r = post(st, "/admin/classify", {"csrf": csrf(body), "issue": iid, "category": "difficult",
                                     "reason": "涉及多个部门"}, admin)
    assert r.status == 303, r
    issue = get_issue(st, iid)
    assert issue["category"] == "difficult"
    assert any(h["event"] == "classified" and "涉及多个部门" in h["reason"] for h in issue["history"])


def test_the_digest_resend_asks_for_the_week(st, admin):
    body = get(st, "/admin", admin).body.decode()
    week = re.search(r'id="digest-week" name="week" value="(\d{4}-W\d\d)"', body).group(1)
    r = post(st, "/admin/digest", {"csrf": csrf(body), "week": week}, admin)
    assert r.status == 303 and r.header("location") == "/admin?ok=digest&id=" + week, r
    assert st.r.sismember(lib.PREFIX + "digest:requested", week)
    r = post(st, "/admin/digest", {"csrf": csrf(body), "week": "2026-W99"}, admin)
    assert r.status == 422 and "重发周报未成功（422）" in r.body.decode()


@pytest.mark.parametrize("path,fields", [
    ("/admin/route", {"issue": "I1", "department": "hr", "reason": "x"}),
    ("/admin/classify", {"issue": "I1", "category": "common", "reason": "x"}),
    ("/admin/retry", {"delivery": "1-0"}),
    ("/admin/digest", {"week": "2026-W40"}),
])
def test_a_form_without_the_csrf_field_or_from_another_site_changes_nothing(st, admin, path, fields):
    body = get(st, "/admin", admin).body.decode()
    before = lib.stable_snapshot(st.r)
    assert post(st, path, fields, admin).status == 403
    assert post(st, path, dict(fields, csrf=csrf(body)), admin, {"Origin": "http://evil.example"}).status == 403
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


@pytest.mark.parametrize("path,fields,status", [
    ("/admin/route", {"issue": "X1"}, 404),
    ("/admin/classify", {"issue": ""}, 404),
    ("/admin/retry", {"delivery": "abc"}, 404),
])
def test_a_form_naming_nothing_valid_is_refused(st, admin, path, fields, status):
    body = get(st, "/admin", admin).body.decode()
    before = lib.stable_snapshot(st.r)
    assert post(st, path, dict(fields, csrf=csrf(body)), admin).status == status
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def test_the_page_has_the_pages_security_headers(st, admin):
    r = get(st, "/admin", admin)
    assert r.status == 200
    assert "script-src 'self'" in r.header("content-security-policy")
    assert r.header("x-frame-options") == "DENY" and r.header("cache-control") == "no-store"


def test_a_dead_delivery_is_listed_and_retried_from_the_page(tmp_path):
    st = lib.Stack(str(tmp_path), start=False, conf={"webhooks": {"schedule": "0"}})
    for d in st.roster["departments"]:
        if "webhook" in d:
            d["webhook"]["url"] = "http://127.0.0.1:%d/closed" % lib.free_port()   # nobody listens
    lib.write_roster(st.d.roster_path, st.roster)
    with st.start():
        ent = st.officer("O006")["enterprises"][0]
        submit(st, "O006", [lib.item(ent, topic="hiring", title="投递失败的通知", detail="部门接口不可达")])
        adm = st.token("admin", "ops")
        dead = lambda: st.d.get("/api/v1/deliveries?status=dead", token=adm).json()["deliveries"]
        lib.wait_for(lambda: len(dead()) >= 1, 15, what="a dead delivery")
        d = dead()[0]
        cookie = login(st, adm)
        body = get(st, "/admin", cookie).body.decode()
        item = re.search(r'<li id="delivery-%s">.*?</li>' % d["id"], body, re.S).group(0)
        assert "人力资源和社会保障局" in item or d["department"] in item
        r = post(st, "/admin/retry", {"csrf": csrf(body), "delivery": d["id"]}, cookie)
        assert r.status == 303 and r.header("location") == "/admin?ok=retry&id=" + d["id"], r
        lib.wait_for(lambda: len(st.d.get("/api/v1/deliveries?department=%s" % d["department"], token=adm)
                                 .json()["deliveries"][0]["attempts"]) >= 2, 15, what="the retried attempt")


def svg_text(svg):
    """The text of an inline SVG QR code (qr.c's path of unit squares)."""
    from pyzbar import pyzbar    # Debian's python3-pyzbar (zbar)
    n = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    dark = set((int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg))
    scale = 4
    pixels = b"".join((b"".join((b"\x00" if (x, y) in dark else b"\xff") * scale for x in range(n))) * scale
                      for y in range(n))
    found = pyzbar.decode((pixels, n * scale, n * scale))
    assert len(found) == 1
    return found[0].data.decode()


def test_printable_cards_hold_a_working_one_time_link_for_every_officer(st, admin):
    body = get(st, "/admin", admin).body.decode()
    links_before = len(list(st.r.scan_iter(lib.PREFIX + "link:*")))
    r = post(st, "/admin/cards", {"csrf": csrf(body)}, admin)
    assert r.status == 200, r
    page = r.body.decode()
    cards = re.findall(r'<article class="signin-card" id="card-(O\d+)"><h3>([^<]*)</h3>.*?(<svg.*?</svg>)',
                       page, re.S)
    assert [c[0] for c in cards] == [o["id"] for o in sorted(st.roster["officers"], key=lambda o: o["id"])]
    assert len(list(st.r.scan_iter(lib.PREFIX + "link:*"))) == links_before + len(cards)
    oid, name, svg = cards[3]
    assert name == st.officer(oid)["name"]
    url = svg_text(svg)
    assert url in page and "style=" not in svg
    path = url.split(str(st.d.port), 1)[1]
    r = lib.request(st.d.port, "POST", path, body="", ctype=FORM)
    assert r.status == 303 and r.header("location") == "/form"
    cookie = r.header("set-cookie").split(";")[0]
    assert name in get(st, "/form", cookie).body.decode()


def test_one_card_for_one_person_and_none_for_a_stranger(st, admin):
    body = get(st, "/admin", admin).body.decode()
    r = post(st, "/admin/cards", {"csrf": csrf(body), "who": "department:hr"}, admin)
    assert r.status == 200 and r.body.decode().count('class="signin-card"') == 1
    before = lib.stable_snapshot(st.r)
    for who in ("officer:O999", "admin:root", "x"):
        assert post(st, "/admin/cards", {"csrf": csrf(body), "who": who}, admin).status == 404
    assert post(st, "/admin/cards", {"who": "officer:O001"}, admin).status == 403        # no CSRF field
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def test_open_difficult_issues_are_listed_with_their_departments_deadlines(st, admin):
    ent = st.officer("O007")["enterprises"][0]
    doc = submit(st, "O007", [lib.item(ent, topic="hiring", title="跨部门的疑难问题", detail="需要多部门协调",
                                       difficult=True)])
    iid = doc["issues"][0]["id"]
    body = get(st, "/admin", admin).body.decode()
    section = re.search(r'<section id="difficult">.*?</section>', body, re.S).group(0)
    item = re.search(r'<li id="difficult-%s">.*?</dl></li>' % iid, section, re.S).group(0)
    assert "跨部门的疑难问题" in item and "人力资源和社会保障局：待认领 · 期限 " in item
    assert st.officer("O007")["name"] in item


def test_revoking_a_persons_tokens_ends_their_sessions_and_links(st, admin):
    body = get(st, "/admin", admin).body.decode()
    session = login(st, st.d.token("officer", "O008"))
    assert get(st, "/form", session).status == 200
    link = st.d.ctl("token", "issue", "officer", "O008", "--link").stdout.strip()
    before = lib.stable_snapshot(st.r)
    assert post(st, "/admin/revoke", {"csrf": csrf(body), "who": "officer:O999"}, admin).status == 404
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
    r = post(st, "/admin/revoke", {"csrf": csrf(body), "who": "officer:O008"}, admin)
    assert r.status == 303 and r.header("location") == "/admin?ok=revoke&id=O008", r
    assert st.r.scard(lib.PREFIX + "tokens:officer:O008") == 0
    assert "使用令牌登录" in get(st, "/form", session).body.decode()        # signed out
    spent = lib.request(st.d.port, "POST", link.split(str(st.d.port), 1)[1], body="", ctype=FORM)
    assert spent.status == 401 and spent.header("set-cookie") is None


def pending_extension(st, oid, title, days=2):
    ent = st.officer(oid)["enterprises"][0]
    doc = submit(st, oid, [lib.item(ent, topic="hiring", title=title, detail=lib.safe_text(40))])
    tid = doc["issues"][0]["tasks"][0]["id"]
    r = act(st, tid, "extend", {"days": days, "reason": "需要会同园区核实"})
    assert r.status == 200, r
    return doc["issues"][0]["id"], tid


def extension_item(body, tid):
    m = re.search(r'<li id="extension-%s">.*?</form></li>' % tid, body, re.S)
    return m.group(0) if m else None


def test_a_pending_extension_is_listed_with_its_days_reason_and_deadline(st, admin):
    iid, tid = pending_extension(st, "O006", "延期审批列表", days=3)
    item = extension_item(get(st, "/admin", admin).body.decode(), tid)
    assert item is not None
    assert "人力资源和社会保障局" in item and iid in item
    assert '<strong class="days">3</strong> 个工作日' in item and "需要会同园区核实" in item
    assert "认领期限 20" in item
    assert 'name="decision" value="approve"' in item and 'name="decision" value="deny"' in item


def test_approving_an_extension_from_the_page_moves_the_deadline(st, admin):
    _, tid = pending_extension(st, "O007", "延期批准")
    before = get_task(st, tid)["deadline"]
    body = get(st, "/admin", admin).body.decode()
    r = post(st, "/admin/extension", {"csrf": csrf(body), "task": tid, "decision": "approve",
                                      "reason": "同意"}, admin)
    assert r.status == 303 and r.header("location") == "/admin?ok=extension&id=" + tid, r
    t = get_task(st, tid)
    assert t["extensions"][0]["state"] == "approved" and t["deadline"] > before, t
    done = get(st, r.header("location"), admin).body.decode()
    assert "%s 的延期申请已审批。" % tid in done and extension_item(done, tid) is None


def test_denying_an_extension_needs_a_reason_and_is_recorded(st, admin):
    _, tid = pending_extension(st, "O008", "延期不批准")
    body = get(st, "/admin", admin).body.decode()
    before = lib.stable_snapshot(st.r)
    r = post(st, "/admin/extension", {"csrf": csrf(body), "task": tid, "decision": "deny", "reason": ""}, admin)
    assert r.status == 422, r
    page = r.body.decode()
    assert 'id="refused"' in page and "不批准时请写明理由" in page
    assert extension_item(page, tid) is not None
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
    r = post(st, "/admin/extension", {"csrf": csrf(body), "task": tid, "decision": "deny",
                                      "reason": "理由不充分"}, admin)
    assert r.status == 303, r
    x = get_task(st, tid)["extensions"][0]
    assert x["state"] == "denied" and x["decision"] == "理由不充分", x
    before = lib.stable_snapshot(st.r)
    r = post(st, "/admin/extension", {"csrf": csrf(body), "task": tid, "decision": "approve"}, admin)
    assert r.status == 409 and "这项延期申请已经审批过" in r.body.decode(), r
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


@pytest.mark.parametrize("fields,status", [
    ({"task": "X1", "decision": "approve"}, 404),
    ({"task": "T999999", "decision": "approve"}, 404),
    ({"task": "T1", "decision": "maybe"}, 422),
])
def test_an_extension_decision_naming_nothing_valid_changes_nothing(st, admin, fields, status):
    body = get(st, "/admin", admin).body.decode()
    before = lib.stable_snapshot(st.r)
    r = post(st, "/admin/extension", dict(fields, csrf=csrf(body)), admin)
    assert r.status == status, r
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
    assert post(st, "/admin/extension", fields, admin).status == 403
