/*
 * similar_bench.c -- how fast the similarity window matches a new item
 * against a province's open issues, and what the window costs in memory.
 *
 *	similar_bench [entries [matches [seed [phrases|dense|near [full]]]]]
 *
 * Builds a window of entries (default 100000) open issues spread over the
 * sample roster's 17 topics and four half-months, with Chinese texts made
 * of phrase fragments in the shape of the sample reports: a title, the
 * topic's subject and a problem, then a detail repeating them with, each
 * half of the time, a context, a place, an impact and a request. It then
 * times matches (default 10000) new items of the same kind, each against
 * its topic for the current and the previous half-month at the default
 * threshold, keeping up to 1024 matches. Prints the build time, the
 * median, p90, p99 and worst match time, the matches found, the window's
 * bytes (and per entry) and the process's resident memory growth. Run by
 * tests/bench/similar.
 *
 * "dense" is the intake bench's window (tests/bench/report.lua): every
 * issue in one topic (hiring), its text 8 + 24 characters drawn from the
 * same pool of common characters, so that every gram is in many issues
 * and almost none match. It then plants near duplicates: for 200 of the
 * window's issues each, a query that is the issue's text with its last k
 * characters redrawn (k = 3, 9, 15, 20, 23: Dice about 0.90, 0.71, 0.52,
 * 0.35, 0.26), and prints at each level how many of them the match finds
 * (recall on real matches), and for the random items the matches found
 * against the exact walk's (similar_window_set_walk_max(SIZE_MAX)).
 * Built with -DSIMILAR_BENCH_OLD (a base revision's window, which may not
 * have that call) it leaves the recall out.
 *
 * "near" texts are one title for all and a detail differing in two
 * characters (every gram's posting holds the whole window): the worst case
 * of keeping the window, not of matching, so its matches are not timed.
 * "full" makes the window hold entries at most ([classify] window_max
 * reached) and then adds entries more, each to a full window: it prints
 * their CPU per add, the worst single add (the batch eviction's pause)
 * and, when not OLD, the posting steps per add (similar_window_steps).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

#define NTOPICS 17
#define PERIOD_NOW (2026 * 24 + 10 * 2 + 1)  /* 2026-11-2 */

static const char *const topics[NTOPICS] = {
	"party", "hiring", "labor", "financing", "subsidy", "tax", "land",
	"planning", "environment", "safety", "utilities", "logistics",
	"licensing", "market", "talent", "investment", "other",
};

/* What each topic's items are about (the roster's keywords and more). */
static const char *const subjects[NTOPICS][8] = {
	{ "党组织", "党支部", "党员发展", "工会组建", "团支部", "群团活动",
	  "党建阵地", "非公党建" },
	{ "普工招聘", "技工招聘", "用工缺口", "缺工", "劳务对接", "校企合作",
	  "招聘会", "季节性用工" },
	{ "社保缴纳", "工伤认定", "劳动合同", "劳动纠纷", "养老保险",
	  "医保报销", "社保转移接续", "失业保险返还" },
	{ "流动资金贷款", "融资担保", "银行授信", "续贷", "应收账款融资",
	  "贷款贴息", "信用贷款", "设备融资租赁" },
	{ "技改奖补", "扶持资金", "稳岗补贴", "研发补助", "首台套奖励",
	  "专精特新奖励", "上市奖励", "招商奖励" },
	{ "出口退税", "留抵退税", "税收减免", "发票额度", "研发费用加计扣除",
	  "房产税减免", "土地使用税", "个税汇算" },
	{ "项目用地", "标准厂房", "土地出让", "不动产权证", "厂房租赁",
	  "用地指标", "土地变更", "闲置厂房" },
	{ "规划许可", "外立面改造", "改扩建", "施工许可", "竣工验收",
	  "规划调整", "临时建筑", "容积率" },
	{ "环评审批", "排污许可", "废气治理", "危废处置", "污水接管",
	  "环保验收", "噪声扰民", "在线监测" },
	{ "消防验收", "安全生产培训", "危化品储存", "隐患整改", "应急预案",
	  "特种设备检验", "安全评价", "消防通道" },
	{ "用电增容", "供水管网", "天然气接入", "计划停电", "自来水水压",
	  "双回路供电", "蒸汽供应", "电价" },
	{ "园区道路", "路灯", "公交线路", "物流车辆通行", "停车位",
	  "货车限行", "道路破损", "交通信号灯" },
	{ "营业执照变更", "食品经营许可证", "审批流程", "备案手续",
	  "生产许可证", "进出口资质", "医疗器械备案", "资质延续" },
	{ "商标注册", "专利申请", "产品质量抽检", "计量器具检定",
	  "体系认证", "商标侵权", "标准制定", "广告审查" },
	{ "人才公寓", "子女入学", "就医绿色通道", "人才住房", "人才认定",
	  "配偶就业", "落户手续", "高层次人才补贴" },
	{ "项目落地", "招商对接", "项目签约", "配套企业落户", "项目审批",
	  "供地进度", "产业基金", "项目开工" },
	{ "外地员工社保", "园区食堂", "周边环境", "网络信号", "快递收发",
	  "员工住宿", "企业宣传", "展会补助" },
};

static const char *const problems[] = {
	"办理进度缓慢", "申请两个多月未批复", "政策适用口径不清楚",
	"标准不明确", "材料反复补正", "费用明显偏高", "现场检查频次过多",
	"线上系统无法提交", "缺少对接渠道", "夜间无法正常使用",
	"缺口较大", "审批时限过长", "多部门要求不一致", "资金尚未兑现",
	"存在较大困难", "长期得不到解决", "流程不清楚", "需要协调",
	"名额不足", "压力较大", "收费标准不统一", "窗口排队时间长",
	"对接人员频繁更换", "补正通知不及时", "系统频繁故障", "没有明确答复",
	"与上级文件不一致", "周边企业意见较大", "期限即将届满",
	"报送材料重复", "专家评审迟迟未安排", "现场核查未通过",
	"整改要求不明确", "额度用完", "条件过高", "结果未公示",
	"信息不对称", "政策宣传不到位", "协调多次未果", "进展不大",
};

static const char *const contexts[] = {
	"今年订单增加", "新厂房投产后", "二期项目建设中", "受季节影响",
	"去年以来", "企业扩产后", "新生产线上马", "近期", "春节前后",
	"企业搬迁后", "",
};

static const char *const impacts[] = {
	"影响正常生产", "影响新生产线投产", "员工反映强烈",
	"造成较大经济损失", "存在安全隐患", "影响企业订单交付",
	"企业负担加重", "", "",
};

static const char *const requests[] = {
	"希望相关部门协助解决", "请尽快对接", "希望上门指导", "希望协调解决",
	"请协助对接资源", "希望尽快明确", "恳请帮助", "希望给予支持", "",
};

/* report.lua's pool of common characters, for the dense window. */
static const char pool[] =
    "招工用工技能培训订单生产线岗位工资社保宿舍通勤夜班"
    "学徒实习合同加班流动季节性外地返乡春节招聘会劳务派遣"
    "电工焊工钳工叉车质检包装仓储物流装配调试维修"
    "园区道路路灯供电供水燃气排污环评消防安全审批许可证执照"
    "贷款融资担保授信利率税收减免退税发票补贴奖补兑现资金"
    "厂房土地产权规划施工验收备案商标专利认证计量标准质量"
    "人才公寓子女入学就医住房公交停车货车限行项目签约落地"
    "党支部党员工会团委群团活动阵地书记组织关系转接发展";

/* Characters of place and company names: every text gets a few. */
static const char names[] =
    "东南西北中新华兴安平和泰康宁远长盛丰源通达明光金银海山河湖林森"
    "春秋江城阳湾桥港台峰岭谷园坊塘铺集镇村路街";

static unsigned int seed = 1;

/* Append the fragment s to buf. */
static void
add(char *buf, size_t len, const char *s)
{
	strncat(buf, s, len - strlen(buf) - 1);
}

/* Append n random characters of from (3 bytes each in UTF-8) to buf. */
static void
add_chars(char *buf, size_t len, const char *from, size_t fromlen, int n)
{
	size_t count = fromlen / 3, i;
	char c[4];

	while (n-- > 0) {
		i = rand_r(&seed) % count;
		memcpy(c, from + i * 3, 3);
		c[3] = '\0';
		add(buf, len, c);
	}
}

static void
add_name(char *buf, size_t len, int n)
{
	add_chars(buf, len, names, sizeof names - 1, n);
}

/* Write a dense item, as report.lua does: title "\n" detail. */
static void
make_dense(char *buf, size_t len)
{
	buf[0] = '\0';
	add_chars(buf, len, pool, sizeof pool - 1, 8);
	add(buf, len, "\n");
	add_chars(buf, len, pool, sizeof pool - 1, 24);
}

/* Write a near-identical item: one title, two characters of difference. */
static void
make_near(char *buf, size_t len, size_t i)
{
	size_t n = (sizeof names - 1) / 3;

	snprintf(buf, len, "园区道路路灯损坏夜间通行困难\n企业反映%.3s%.3s%.3s"
	    "路段路灯损坏，员工夜班通勤不便", names + i % n * 3,
	    names + i / n % n * 3, names + i / n / n % n * 3);
}

#define PICK(a) (a[rand_r(&seed) % (sizeof a / sizeof a[0])])

/* Write an item of topic t, title "\n" detail, into buf. */
static void
make_text(char *buf, size_t len, int t)
{
	const char *subject = subjects[t][rand_r(&seed) % 8];
	const char *problem = PICK(problems);
	char number[16];

	buf[0] = '\0';
	add(buf, len, subject);
	add(buf, len, problem);
	add(buf, len, "\n");
	if (rand_r(&seed) % 2) {
		add(buf, len, PICK(contexts));
		add(buf, len, "，");
	}
	if (rand_r(&seed) % 2) {
		add_name(buf, len, 2 + rand_r(&seed) % 2);
		add(buf, len, rand_r(&seed) % 2 ? "园区" : "路");
		snprintf(number, sizeof number, "%d号", 1 + rand_r(&seed) % 30);
		add(buf, len, number);
		add(buf, len, rand_r(&seed) % 2 ? "厂区" : "车间");
	}
	add(buf, len, subject);
	add(buf, len, problem);
	if (rand_r(&seed) % 2) {
		add(buf, len, "，");
		add(buf, len, PICK(impacts));
	}
	if (rand_r(&seed) % 2) {
		add(buf, len, "，");
		add(buf, len, PICK(requests));
	}
	add(buf, len, "。");
}

#define PLANT_PER_LEVEL 200
static const int plant_k[] = { 3, 9, 15, 20, 23 };
#define PLANT_LEVELS (sizeof plant_k / sizeof plant_k[0])

/* A window issue near duplicates are planted of. */
struct kept {
	char text[512];
	char issue[32];
};

/* Replace the last k characters of a dense text (3 bytes each) in buf. */
static void
redraw_tail(char *buf, size_t len, int k)
{
	buf[strlen(buf) - (size_t)k * 3] = '\0';
	add_chars(buf, len, pool, sizeof pool - 1, k);
}

static double
clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_seconds(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

/* This thread's CPU time: a match's own cost on a shared machine. */
static double
cpu_seconds(void)
{
	return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

/* Return this process's resident memory in kB. */
static long
rss_kb(void)
{
	FILE *f;
	char line[256];
	long kb = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#ifndef SIMILAR_BENCH_OLD
/* Is issue among the n matches m? */
static int
found_issue(const struct similar_match *m, size_t n, const char *issue)
{
	while (n-- > 0) {
		if (strcmp(m[n].issue, issue) == 0)
			return 1;
	}
	return 0;
}

/*
 * Print the recall of the window's match: on near duplicates planted at
 * each Dice level, and on matches random items of the window's kind have
 * (the exact walk's answers being the truth), with the CPU time of the
 * planted queries.
 */
static void
recall(struct similar_window *w, const struct kept *kept, size_t nkept,
    size_t matches)
{
	static struct similar_match m[1024];
	struct similar_grams a, b;
	char text[512];
	size_t l, i, n, hit, exact_hit, got = 0, want = 0, both = 0;
	double dice, cpu, *cpus;
	unsigned int save;

	cpus = calloc(nkept, sizeof *cpus);
	for (l = 0; l < PLANT_LEVELS && cpus != NULL; l++) {
		hit = exact_hit = 0;
		dice = 0;
		for (i = 0; i < nkept; i++) {
			memcpy(text, kept[i].text, sizeof text);
			redraw_tail(text, sizeof text, plant_k[l]);
			similar_grams(text, &a);
			similar_grams(kept[i].text, &b);
			dice += similar_score(&a, &b);
			free(a.v);
			free(b.v);
			cpu = cpu_seconds();
			n = similar_window_match(w, "hiring", text,
			    PERIOD_NOW - 1, SIMILAR_THRESHOLD_DEFAULT, m, 1024);
			cpus[i] = cpu_seconds() - cpu;
			hit += found_issue(m, n, kept[i].issue);
			similar_window_set_walk_max(w, SIZE_MAX);
			n = similar_window_match(w, "hiring", text,
			    PERIOD_NOW - 1, SIMILAR_THRESHOLD_DEFAULT, m, 1024);
			exact_hit += found_issue(m, n, kept[i].issue);
			similar_window_set_walk_max(w, SIMILAR_WINDOW_WALK_MAX);
		}
		qsort(cpus, nkept, sizeof *cpus, compare_double);
		printf("planted, %2d of 32 characters redrawn (Dice %.2f on "
		    "average): found %zu of %zu (exact walk: %zu), CPU "
		    "median %.1f us, p99 %.1f us\n", plant_k[l],
		    dice / (double)nkept, hit, nkept, exact_hit,
		    cpus[nkept / 2] * 1e6, cpus[nkept * 99 / 100] * 1e6);
	}
	free(cpus);

	/* The random items' own matches: as many as the exact walk's? */
	save = seed;
	for (i = 0; i < matches; i++) {
		make_dense(text, sizeof text);
		n = similar_window_match(w, "hiring", text, PERIOD_NOW - 1,
		    SIMILAR_THRESHOLD_DEFAULT, m, 1024);
		got += n;
		similar_window_set_walk_max(w, SIZE_MAX);
		l = similar_window_match(w, "hiring", text, PERIOD_NOW - 1,
		    SIMILAR_THRESHOLD_DEFAULT, m + n, 1024 - n);
		want += l;
		for (hit = 0; hit < l; hit++)
			both += found_issue(m, n, m[n + hit].issue);
		similar_window_set_walk_max(w, SIMILAR_WINDOW_WALK_MAX);
	}
	seed = save;
	printf("random items: %zu matches found, the exact walk %zu, "
	    "%zu of them found\n", got, want, both);
}
#endif

int
main(int argc, char **argv)
{
	struct similar_window *w;
	struct similar_match m[1024];
	char text[512], issue[32], enterprise[32];
	size_t entries = 100000, matches = 10000, i, found = 0, hits = 0;
	size_t bytes, full = 0, stride = 1, nkept = 0;
	struct kept *kept = NULL;
	int period;
	double start, cpu, build, build_cpu, *times, *cpus;
	long rss0, rss1;
	int t, dense = 0, near = 0, is_full = 0, ntopics = NTOPICS;
	size_t nadd, worst_i = 0, plant_from = 0;
	double add_cpu, worst = 0, fill_cpu = 0;
#ifndef SIMILAR_BENCH_OLD
	size_t steps0 = 0;
#endif

	if (argc > 1)
		entries = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		matches = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		seed = strtoul(argv[3], NULL, 10);
	if (argc > 4) {
		dense = strcmp(argv[4], "dense") == 0;
		near = strcmp(argv[4], "near") == 0;
	}
	if (argc > 5)
		is_full = strcmp(argv[5], "full") == 0;
	if (entries == 0 || matches == 0 || (argc > 4 && !dense && !near &&
	    strcmp(argv[4], "phrases") != 0) || (argc > 5 && !is_full)) {
		fprintf(stderr, "usage: similar_bench [entries [matches "
		    "[seed [phrases|dense|near [full]]]]]\n");
		return 1;
	}
	if (dense || near)
		ntopics = 1;
	nadd = is_full ? 2 * entries : entries;
	times = calloc(matches, sizeof *times);
	cpus = calloc(matches, sizeof *cpus);
	if (times == NULL || cpus == NULL)
		return 1;

	rss0 = rss_kb();
	if (dense) {
		kept = calloc(PLANT_PER_LEVEL, sizeof *kept);
		if (kept == NULL)
			return 1;
		/* Every third of the window, about, of two periods in four. */
		stride = entries / (PLANT_PER_LEVEL * 3) > 0 ?
		    entries / (PLANT_PER_LEVEL * 3) : 1;
		/* Full: from the adds no batch eviction reaches. */
		if (is_full) {
			plant_from = entries + entries / 8;
			stride = stride * 7 / 8 > 0 ? stride * 7 / 8 : 1;
		}
	}
	w = similar_window_new(is_full || entries > 200000 ? entries : 200000);
	start = now_seconds();
	cpu = cpu_seconds();
	for (i = 0; i < nadd; i++) {
		if (i == entries) {
			/* Full from here: each add evicts, or is one of a batch. */
			fill_cpu = cpu_seconds() - cpu;
#ifndef SIMILAR_BENCH_OLD
			steps0 = similar_window_steps(w);
#endif
		}
		t = dense || near ? 1 : rand_r(&seed) % NTOPICS;
		if (dense)
			make_dense(text, sizeof text);
		else if (near)
			make_near(text, sizeof text, i);
		else
			make_text(text, sizeof text, t);
		add_cpu = i >= entries ? cpu_seconds() : 0;
		snprintf(issue, sizeof issue, "I%zu", i + 1);
		snprintf(enterprise, sizeof enterprise, "91340800%010zu",
		    (size_t)rand_r(&seed) % 1000000);
		period = PERIOD_NOW - rand_r(&seed) % 4;
		/* Full: oldest first, as a start-up reads them. */
		if (is_full)
			period = PERIOD_NOW - (int)(3 - 4 * i / nadd);
		similar_window_add(w, issue, topics[t], enterprise, period,
		    NULL, text);
		if (i >= entries && cpu_seconds() - add_cpu > worst) {
			worst = cpu_seconds() - add_cpu;
			worst_i = i;
		}
		/* Plant targets: current and previous half-month. */
		if (dense && nkept < PLANT_PER_LEVEL &&
		    i >= plant_from + nkept * stride &&
		    period >= PERIOD_NOW - 1) {
			memcpy(kept[nkept].text, text, sizeof text);
			memcpy(kept[nkept++].issue, issue, sizeof issue);
		}
	}
	build = now_seconds() - start;
	build_cpu = cpu_seconds() - cpu;
	rss1 = rss_kb();
	bytes = similar_window_bytes(w);
	if (is_full) {
		printf("full window of %zu (%s text): %zu adds to it, %.2f s "
		    "of CPU (%.1f us per add; filling it: %.1f us per add); "
		    "worst add %.1f ms (add %zu)\n", entries, near ? "near" :
		    dense ? "dense" : "phrase", nadd - entries,
		    build_cpu - fill_cpu, (build_cpu - fill_cpu) * 1e6 /
		    (double)(nadd - entries), fill_cpu * 1e6 / (double)entries,
		    worst * 1e3, worst_i);
#ifndef SIMILAR_BENCH_OLD
		printf("  posting steps per add to the full window: %.1f\n",
		    (double)(similar_window_steps(w) - steps0) /
		    (double)(nadd - entries));
#endif
	}
	if (near) {
		similar_window_free(w);
		free(times);
		free(cpus);
		return 0;
	}

	for (i = 0; i < matches; i++) {
		t = dense ? 1 : rand_r(&seed) % NTOPICS;
		if (dense)
			make_dense(text, sizeof text);
		else
			make_text(text, sizeof text, t);
		cpu = cpu_seconds();
		start = now_seconds();
		found = similar_window_match(w, topics[t], text,
		    PERIOD_NOW - 1, SIMILAR_THRESHOLD_DEFAULT, m, 1024);
		times[i] = now_seconds() - start;
		cpus[i] = cpu_seconds() - cpu;
		hits += found;
		if (found == 1024)
			full++;
	}
	qsort(times, matches, sizeof *times, compare_double);
	qsort(cpus, matches, sizeof *cpus, compare_double);

	printf("window: %zu open issues, %d topic(s), 4 half-months, %s text; "
	    "built in %.2f s, %.2f s of CPU (%.1f us per add)\n", entries,
	    ntopics, dense ? "dense" : "phrase", build, build_cpu,
	    build_cpu * 1e6 / entries);
	printf("window bytes: %zu (%.1f MB, %.0f bytes per entry); "
	    "RSS growth %.1f MB\n", bytes, bytes / 1048576.0,
	    (double)bytes / entries, (rss1 - rss0) / 1024.0);
	printf("match (threshold %.2f, current + previous half-month, at most "
	    "1024): %zu items\n", SIMILAR_THRESHOLD_DEFAULT, matches);
	printf("  median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n",
	    times[matches / 2] * 1e6, times[matches * 90 / 100] * 1e6,
	    times[matches * 99 / 100] * 1e6, times[matches - 1] * 1e6);
	printf("  CPU time: median %.1f us, p90 %.1f us, p99 %.1f us, max "
	    "%.1f us\n", cpus[matches / 2] * 1e6,
	    cpus[matches * 90 / 100] * 1e6, cpus[matches * 99 / 100] * 1e6,
	    cpus[matches - 1] * 1e6);
	printf("  %.1f matches per item on average; %zu items hit the limit "
	    "of 1024\n", (double)hits / matches, full);

#ifndef SIMILAR_BENCH_OLD
	if (dense)
		recall(w, kept, nkept, matches);
#endif
	free(kept);

	cpu = cpu_seconds();
	similar_window_expire(w, PERIOD_NOW - 1);
	printf("expire of the two older half-months: %.1f ms of CPU, %zu "
	    "bytes left\n", (cpu_seconds() - cpu) * 1e3,
	    similar_window_bytes(w));
	similar_window_free(w);
	free(times);
	free(cpus);
	return 0;
}
