"""What a page view costs the store (issue 13): the Redis round trips each
page waited for, counted by the daemon per route
(liaisond_http_redis_round_trips_total) and read around one view.
Each costs at most 2: the session with its token's record, then the
page's data (one script call, or commands sent together).
"""

import re

import pytest

import lib
from flow import act_ok, new_issue, task_of, web_get, web_login


# page -> (role, id, round trips at most)
PAGES = {
    "/form": ("officer", "O001", 2),
    "/dept": ("department", "hr", 2),
    "/admin": ("admin", "ops", 2),
    "/ledger": (None, None, 2),
    "/officers": ("admin", "ops", 2),
    "/agenda": ("admin", "ops", 2),
}


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("trips"))) as s:
        iss = new_issue(s, "O001")
        act_ok(s, task_of(iss, "hr"), "claim", text="周九")
        new_issue(s, "O002")
        yield s


def trips(st, route):
    text = st.d.get("/metrics", token=st.token("admin", "ops")).body.decode()
    m = re.search(r'^liaisond_http_redis_round_trips_total\{route="%s"\} (\d+)$'
                  % re.escape(route), text, re.M)
    return int(m.group(1)) if m else 0


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_page_view_costs_at_most_its_round_trips(st, page):
    role, who, most = PAGES[page]
    cookie = web_login(st, st.token(role, who)) if role else ""
    before = trips(st, page)
    r = web_get(st, page, cookie)
    assert r.status == 200, r
    n = trips(st, page) - before
    assert n <= most, "%s waited for Redis %d times" % (page, n)


def test_dept_reads_its_lists_in_one_call(st):
    """/dept: the session, then queue, work, done and the dossiers in one
    script call (read.lua's dept)."""
    cookie = web_login(st, st.token("department", "hr"))
    before = trips(st, "/dept")
    assert web_get(st, "/dept", cookie).status == 200
    assert trips(st, "/dept") - before == 2
