#!/usr/bin/python3
"""gen_roster.py -- write a province-sized roster for the benchmark.

usage: gen_roster.py SAMPLE_ROSTER OUT [ENTERPRISES [OFFICERS]]

Takes the zone, leaders, departments and topics of SAMPLE_ROSTER and adds
ENTERPRISES enterprises (default 1,000,000) and OFFICERS officers (default
100,000), each officer linked to ENTERPRISES/OFFICERS enterprises.  Every
enterprise id is a valid Unified Social Credit Code (GB 32100-2015): its
organisation code (positions 9-17) also verifies under GB 11714, and the
18th character is the mod-31 check character.
"""
import json
import sys

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {c: i for i, c in enumerate(CHARSET)}
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
REGIONS = ("340800", "340100", "340200", "340300", "340400", "340500",
           "340600", "340700", "341000", "341100", "341200", "341300",
           "341500", "341600", "341700", "341800")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉志荣海波宁峰鹏飞云凯斌燕雪琳晨欣怡佳浩宇轩然"
WORDS = ("锦华", "恒通", "新源", "宏达", "瑞丰", "天成", "安达", "鑫盛", "华宇", "长江",
         "皖江", "振兴", "同创", "中科", "博远", "德信", "永泰", "金桥", "汇丰", "嘉禾")
TRADES = ("食品", "机械", "电子", "化工", "纺织", "新材料", "物流", "医药", "汽车零部件",
          "建材", "光电", "环保科技", "信息技术", "包装", "精密制造")
AREAS = ("刘纪社区", "老峰镇", "菱湖街道", "大观片区", "集贤社区", "长风片区", "海口镇", "新河片区")


def org_code(n):
    """A GB 11714 organisation code: 8 digits and its mod-11 check."""
    body = "%08d" % n
    s = sum(int(c) * w for c, w in zip(body, ORG_WEIGHTS))
    c = 11 - s % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def credit_code(n):
    kind = "91" if n % 10 else "52"          # every tenth a social organisation
    code17 = kind + REGIONS[n % len(REGIONS)] + org_code(n)
    s = sum(VALUE[c] * w for c, w in zip(code17, WEIGHTS))
    return code17 + CHARSET[(31 - s % 31) % 31]


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    sample_path, out_path = sys.argv[1], sys.argv[2]
    nent = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    noff = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
    if noff < 1 or nent < noff:
        sys.stderr.write("gen_roster.py: need 1 <= officers <= enterprises\n")
        return 2
    with open(sample_path, encoding="utf-8") as f:
        sample = json.load(f)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    per = nent // noff
    with open(out_path, "w", encoding="utf-8") as out:
        out.write('{"zone":%s,\n"leaders":%s,\n"departments":%s,\n"topics":%s,\n"officers":[\n'
                  % (dumps(sample["zone"]), dumps(sample["leaders"]),
                     dumps(sample["departments"]), dumps(sample["topics"])))
        units = [d["name"] for d in sample["departments"]]
        for o in range(noff):
            first = o * per
            last = nent if o == noff - 1 else first + per
            officer = {
                "id": "O%06d" % (o + 1),
                "name": SURNAMES[o % len(SURNAMES)] + GIVEN[(o // 7) % len(GIVEN)],
                "level": "zone" if o % 20 else ("municipal" if o % 40 else "provincial"),
                "unit": units[o % len(units)],
                "phone": "1%010d" % (3500000000 + o),
                "email": "o%06d@example.gov.cn" % (o + 1),
                "enterprises": [credit_code(n) for n in range(first, last)],
            }
            out.write(("," if o else "") + dumps(officer) + "\n")
        out.write('],\n"enterprises":[\n')
        for n in range(nent):
            code = credit_code(n)
            name = "安徽%s%s%s%d" % (WORDS[n % len(WORDS)], TRADES[(n // 20) % len(TRADES)],
                                  "协会" if code[:2] == "52" else "有限公司", n)
            ent = {"id": code, "name": name,
                   "kind": "social_org" if code[:2] == "52" else "enterprise",
                   "area": AREAS[n % len(AREAS)]}
            out.write(("," if n else "") + dumps(ent) + "\n")
        out.write("]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
