"""/dept shows whom to call (issue 17): the enterprise, the officer's name,
unit and phone as a tel: link, the history; its search and filters are a GET
form whose bad values are refused with 400 and read nothing.
"""

import re
import urllib.parse

import pytest

import lib
from flow import submit

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("dept"))) as s:
        yield s


def login(st, token):
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token), ctype=FORM)
    assert r.status == 303, r
    return r.header("set-cookie").split(";")[0]


def dept_page(st, cookie, query=""):
    return lib.request(st.d.port, "GET", "/dept" + query, headers={"Cookie": cookie})


def test_each_task_names_the_enterprise_and_the_officer_with_a_tel_link(st):
    o = st.officer("O020")
    ent = next(e for e in st.roster["enterprises"] if e["id"] == o["enterprises"][0])
    doc = submit(st, "O020", [lib.item(ent["id"], topic="hiring", title="用工登记咨询",
                                       detail="企业询问用工登记的办理方式")])
    task = doc["issues"][0]["tasks"][0]["id"]
    with st.guard():
        body = dept_page(st, login(st, st.token("department", "hr"))).body.decode()
    item = re.search(r'<li id="task-%s">.*?</li>(?=<li id="task-|</ul>)' % task, body, re.S).group(0)
    assert ent["name"] in item
    assert "%s（%s）" % (o["name"], o["unit"]) in item
    tel = re.sub(r"[^0-9+]", "", o["phone"])
    assert '<a class="tel" href="tel:%s">%s</a>' % (tel, o["phone"]) in item
    assert re.search(r"办理记录（\d+ 条）", item) and "<td>报送</td><td>%s</td>" % o["name"] in item


def test_search_finds_by_enterprise_name_and_leaves_out_the_rest(st):
    cookie = login(st, st.token("department", "hr"))
    names = {}
    for oid in ("O021", "O022"):
        ent = st.officer(oid)["enterprises"][0]
        doc = submit(st, oid, [lib.item(ent, topic="hiring", title="招聘会场地 " + oid,
                                        detail="企业希望参加园区招聘会 " + oid)])
        names[oid] = (doc["issues"][0]["tasks"][0]["id"],
                      next(e["name"] for e in st.roster["enterprises"] if e["id"] == ent))
    with st.guard():
        body = dept_page(st, cookie, "?q=" + urllib.parse.quote(names["O021"][1])).body.decode()
    assert 'id="task-%s"' % names["O021"][0] in body
    assert 'id="task-%s"' % names["O022"][0] not in body
    assert 'value="%s"' % names["O021"][1] in body


@pytest.mark.parametrize("query", ["?state=closed", "?overdue=yes", "?q=" + urllib.parse.quote("长" * 33),
                                   "?q=%FF%FE", "?sort=name", "?q=a&q=b"])
def test_a_bad_filter_is_refused_and_reads_nothing(st, query):
    cookie = login(st, st.token("department", "hr"))
    before = lib.stable_snapshot(st.r)
    with st.guard():
        r = dept_page(st, cookie, query)
    assert r.status == 400, (query, r)
    assert "<script" not in r.body.decode(errors="replace")
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))
