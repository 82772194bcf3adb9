"""liaisonctl visits import: a zone's existing 走访台账 comes in from a CSV
sheet (UTF-8, BOM or GBK; Chinese or English headers); every problem is
reported as file:line:column and nothing is written; a good file is written
all at once, counts in the figures, and is refused the second time."""

import flow
import lib
from lib import PREFIX


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_writes_every_row_once(stack, who, tmp_path):
    oid = who["a"]
    o = stack.officer(oid)
    names = {e["id"]: e["name"] for e in stack.roster["enterprises"]}
    before = flow.figures(stack, "?from=2025-03-01&to=2025-03-31")
    sheet = ("指导员,企业,日期,走访方式,意见建议,情况记录\n"
             "%s,%s,2025-03-05,走访,2,了解用工\n"
             "%s,%s,2025/3/6,集中座谈,,\n"
             "%s,%s,2025年3月7日,interview,1,\"含,逗号\"\n") % (
        oid, o["enterprises"][0], oid, names[o["enterprises"][1]], oid, o["enterprises"][0])
    path = write(tmp_path / "visits.csv", sheet, "gbk")
    p = stack.d.ctl("visits", "import", path)
    assert "imported 3 visits" in p.stdout, p.stdout
    rows = stack.d.get("/api/v1/visits?from=2025-03-01&to=2025-03-31", token=stack.token("officer", oid)).json()
    assert [(v["date"], v["mode"], v["suggestions"]) for v in rows["visits"]] == [
        ("2025-03-07", "interview", 1), ("2025-03-06", "forum", 0), ("2025-03-05", "visit", 2)], rows
    assert rows["visits"][0]["note"] == "含,逗号" and rows["visits"][0]["by"] == "admin:liaisonctl"
    after = flow.figures(stack, "?from=2025-03-01&to=2025-03-31")
    assert after["visits"] - before["visits"] == 3 and after["suggestions"] - before["suggestions"] == 3
    snap = lib.stable_snapshot(stack.r)
    p = stack.d.ctl("visits", "import", path, check=False)
    assert p.returncode == 1 and "imported before" in p.stderr, p.stderr
    lib.assert_unchanged(snap, lib.redis_snapshot(stack.r))


def test_a_file_with_problems_writes_nothing(stack, who, tmp_path):
    oid, other = who["a"], who["b"]
    mine = stack.officer(oid)["enterprises"]
    foreign = [e for e in stack.officer(other)["enterprises"] if e not in mine][0]
    sheet = ("\ufeffofficer,enterprise,date,mode,suggestions,colour\n"
             "%s,%s,2025-03-05,visit,2,red\n"
             "O999,%s,2025-03-05,visit,2,\n"
             "%s,%s,2025-02-30,visit,x,\n"
             "%s,%s,%s,phone,-1,\n") % (oid, mine[0], mine[0], oid, foreign, oid, mine[0], flow.day_shift(1))
    path = write(tmp_path / "bad.csv", sheet)
    snap = lib.stable_snapshot(stack.r)
    p = stack.d.ctl("visits", "import", path, check=False)
    assert p.returncode == 1, p
    err = p.stderr
    assert "bad.csv:1:6: unknown column \"colour\"" in err, err
    snap2 = lib.stable_snapshot(stack.r)
    lib.assert_unchanged(snap, snap2)
    # without the unknown column: every row's problems at their cells
    path = write(tmp_path / "bad2.csv", sheet.replace(",colour", "").replace(",red", "").replace("-1,\n", "-1\n")
                 .replace("2,\n", "2\n").replace("x,\n", "x\n"))
    p = stack.d.ctl("visits", "import", path, check=False)
    assert p.returncode == 1, p
    err = p.stderr
    assert "bad2.csv:3:1: no officer \"O999\"" in err, err
    assert "bad2.csv:4:2: %s is not linked to officer %s" % (foreign, oid) in err, err
    assert "bad2.csv:4:3: not a date" in err and "bad2.csv:4:5: suggestions" in err, err
    assert "bad2.csv:5:3: " in err and "in the future" in err, err
    assert "bad2.csv:5:4: unknown mode" in err and "bad2.csv:5:5: suggestions" in err, err
    assert "nothing imported" in err
    lib.assert_unchanged(snap, lib.redis_snapshot(stack.r))


def test_seed_fills_the_figures_and_the_table(fresh_stack):
    st = fresh_stack()
    p = st.d.ctl("seed", "fieldwork", "--months", "6", "--seed", "7")
    assert p.stdout.startswith("seeded "), p.stdout
    fig = flow.figures(st, "?from=" + flow.day_shift(-200))
    assert fig["visits"] > len(st.roster["officers"]), fig
    assert fig["enterprises_visited"] > 0 and sum(fig["outcomes"].values()) > 0, fig
    assert "党建指导员共走访企业" in fig["summary_zh"], fig
    rows = st.d.get("/api/v1/officers?limit=100&from=" + flow.day_shift(-200), token=flow.admin(st)).json()
    assert sum(r["visits"] for r in rows["officers"]) == fig["visits"], rows
    # the same seed on the same day is refused and changes nothing
    snap = lib.stable_snapshot(st.r)
    p = st.d.ctl("seed", "fieldwork", "--months", "6", "--seed", "7", check=False)
    assert p.returncode == 1 and "imported before" in p.stderr, p.stderr
    lib.assert_unchanged(snap, lib.redis_snapshot(st.r))
    assert st.d.ctl("seed", "fieldwork", "--months", "99", check=False).returncode == 2
