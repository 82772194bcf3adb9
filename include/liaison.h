/*
 * liaison.h -- the library (libliaison.a) that liaisond, liaisonctl and the
 * unit tests share: its structures and prototypes, grouped under the file
 * that defines them. The daemon's own are in daemon.h, liaisonctl's in ctl.h.
 *
 * cJSON and hiredis are only named here (struct cJSON, struct redisReply):
 * a file that uses them includes their headers itself.
 */
#ifndef LIAISON_H
#define LIAISON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cJSON;
struct redisContext;
struct redisReply;
struct evkeyvalq;

#define LIAISON_VERSION PACKAGE_VERSION

/* Lengths that shape the wire formats. */
#define USCC_LEN 18           /* a Unified Social Credit Code */
#define TOKEN_HASH_LEN 64     /* SHA-256 in lower-case hex */
#define PERIOD_LEN 10         /* "YYYY-MM-H" */
#define LEDGER_WEIGHTS 3      /* the score's rates: 响应率, 办结率, 满意率 */

/* lua_scripts.c (generated from the scripts in src/lua) */
enum store_script_id {
	SCRIPT_WORKFLOW,           /* every change: workflow.lua */
	SCRIPT_LIST,               /* pages of issues or reports: list.lua */
	SCRIPT_READ,               /* one issue, task or queue: read.lua */
	SCRIPT_DELIVER,            /* webhook deliveries: deliver.lua */
	SCRIPT_LEDGER,             /* the rows of a ledger: ledger.lua */
	SCRIPT_DIGEST,             /* the weekly digest: digest.lua */
	SCRIPT_FIELDWORK,          /* visits, talks, outcomes: fieldwork.lua */
	SCRIPT_NOTIFY,             /* officers' mail: notify.lua */
	SCRIPT_LINK,               /* sign-in links for /admin: link.lua */
	SCRIPT_COUNT
};
struct store_script {
	const char *name;
	const char *body;           /* for EVAL and SCRIPT LOAD */
	const char *library;        /* for FUNCTION LOAD, or NULL */
	const char *function;       /* the library's function, for FCALL */
};
extern const struct store_script store_scripts[];

/* rules.c */
struct config;
enum rules_category {            /* weakest first: a rule only raises */
	CATEGORY_INDIVIDUAL,     /* 个性 */
	CATEGORY_COMMON,         /* 共性 */
	CATEGORY_DIFFICULT,      /* 疑难 */
	CATEGORY_COUNT
};
enum rules_rule {                /* the rows of rules.c's table */
	RULE_INDIVIDUAL,         /* none of the others */
	RULE_FLAGGED,            /* the officer flagged it difficult */
	RULE_ROUTED,             /* routed to enough departments */
	RULE_REOPENED,           /* reopened often enough */
	RULE_OVERDUE,            /* a deadline passed */
	RULE_COMMON,             /* enough enterprises raised it */
	RULE_RECURRED,           /* 复发 often enough (issue 16) */
	RULE_COUNT
};
#define RULES_COMMON_MIN_DEFAULT 3  /* [classify] common_min_enterprises */
extern const char *const issue_categories[];  /* NULL-terminated, enum order */
int rules_category(const char *);
const char *rules_category_label(const char *);
const char *rules_category_title(const char *);
int rules_threshold(enum rules_rule, const struct config *);
int rules_reached(enum rules_rule, const struct config *, size_t count);
int rules_overdue(const char *stage);
const char *rules_report_category(int flagged, size_t ndepartments,
    char *reason, size_t len);
void rules_json(struct cJSON *, const struct config *);

/* ledger.c */
struct roster;
struct ledger_task {
	char *id;
	char *department;
	char *state;             /* queued claimed responded resolved returned */
	char *claimant;
	char *response;
	char *resolution;
	char *overdue;           /* the stage escalated, or "" */
	int64_t created;         /* ms; 0 when unknown */
	int64_t deadline;        /* of the current stage; 0 when none */
	int64_t due_claim, due_respond, due_resolve;
	int64_t claimed_at, responded_at, resolved_at, returned_at;  /* 0: not */
	int extended;            /* 延期 approved (issue 16) */
	int past;                /* returned before a re-route: record only */
};
struct ledger_issue {
	char *id;
	char *report;
	char *officer;
	char *enterprise;
	char *topic;
	char *title;
	char *detail;
	char *period;
	char *category;
	char *state;             /* a task state, or closed */
	char *group;             /* "" when none */
	char *satisfaction;      /* satisfied basic unsatisfied, or "" */
	char *outcomes;          /* JSON list of its outcomes, or "" */
	char *ratings;           /* {"dept": satisfaction} JSON, or "" */
	int difficult;           /* flagged by the officer */
	int64_t created;
	char *recurrence_of;     /* the finished issue it recurs (复发), or "" */
	struct ledger_task *tasks;
	size_t ntasks;
};
/*
 * One department's figures over the tasks of a ledger, each task counted
 * once (a common group's issues share one). The definitions are in
 * ledger.c and docs/API.md; a rate is negative when nothing is in its
 * denominator.
 */
struct ledger_score {
	char *department;
	char *name;
	unsigned received;          /* tasks routed to it */
	unsigned returned;          /* of them returned (退单) */
	unsigned claimed;
	unsigned claimed_on_time;   /* claimed by the claim deadline */
	unsigned responded;         /* responded or resolved */
	unsigned responded_on_time; /* by the respond deadline */
	unsigned response_due;      /* responded, or past the respond deadline */
	unsigned resolved;
	unsigned resolved_on_time;  /* by the resolve deadline */
	unsigned due;               /* resolved, or open past the resolve deadline */
	unsigned open;              /* queued, claimed or responded */
	unsigned overdue;           /* open and past its current deadline */
	unsigned rated;             /* its resolutions an officer rated */
	unsigned satisfied;         /* of them satisfied or basically so */
	unsigned extended;          /* tasks with a 延期 approved (issue 16) */
	double response_rate;       /* 响应率 responded_on_time / response_due */
	double resolution_rate;     /* 办结率 resolved / due */
	double satisfaction_rate;   /* 满意率 satisfied / rated */
	double score;               /* out of 100 (ledger_score); < 0: none */
	unsigned rank;              /* 1 = best, ties share; 0: none */
};
#define LEDGER_PAST 5                /* earlier periods on /ledger's line */
struct ledger {
	struct ledger_issue *issues;     /* oldest first */
	size_t nissues;
	size_t room;                     /* issues allocated (ledger_patch) */
	struct ledger_score *scores;     /* one per roster department, file order */
	size_t nscores;
	struct ledger_score total;       /* the zone: every department together */
	unsigned by_category[CATEGORY_COUNT];
	int64_t now;                     /* when scored, ms */
	/* Carry-over (issue 16): a period's ledger also holds the issues of
	 * earlier periods not yet closed, oldest first; not scored. */
	char *carried_period;            /* the ledger's period; NULL: none */
	struct ledger_issue *carried;
	size_t ncarried;
	const struct roster *scored_for; /* the roster it was scored with */
	int weights[LEDGER_WEIGHTS];     /* the score's weights it was scored with */
	struct cJSON *snapshot;          /* a frozen period's {at, departments,
	                                  * total} (issue 16), or NULL */
	struct ledger_memo *memo;        /* answers rendered as scored
	                                  * (ledger_memo.c) */
	size_t nmemo;
	char *scores_text[3];            /* the scorecards' JSON as scored:
	                                  * departments, total, by_category
	                                  * (ledger_json; dropped with the memo) */
	/* The zone's total of each earlier period as frozen, oldest first,
	 * when the read asked for them (ledger_cache.c, for /ledger's line);
	 * NULL where a period is not frozen. */
	struct ledger_past {
		char period[PERIOD_LEN + 1];
		struct cJSON *total;
	} past[LEDGER_PAST];
	size_t npast;
	struct ledger_tally *tally;      /* its counts, kept (ledger_tally.c) */
	struct ledger_index *index;      /* its pages' filters (ledger_index.c) */
	size_t counted;                  /* tasks counted since it was made: what
	                                  * its scorings cost (ledger_cache.c) */
};
struct ledger_filter {
	const char *category;            /* NULL: any */
	const char *department;
	const char *state;
	size_t offset;                   /* matching issues to skip */
	size_t limit;                    /* most issues shown; 0: all */
};
extern const char *const issue_states[];      /* closed included */
extern const char ledger_rates_explained[];   /* the rates, in one sentence */
struct ledger *ledger_parse(const struct redisReply *rows);
void ledger_past_periods(const char *, char *, size_t);
struct ledger *ledger_new(void);
int ledger_add_rows(struct ledger *, const struct redisReply *rows);
void ledger_sort(struct ledger *);
int ledger_issue_cmp(const void *, const void *);
void ledger_issue_free(struct ledger_issue *);
void ledger_score(struct ledger *, const struct roster *,
    const int weights[LEDGER_WEIGHTS], int64_t now);
void ledger_score_text(double, char *, size_t);
#define LEDGER_BARS 4         /* the charts' bars: the three rates, the score */
void ledger_score_bars(const struct ledger_score *, double values[LEDGER_BARS],
    char texts[LEDGER_BARS][32]);
void ledger_score_explain(const int weights[LEDGER_WEIGHTS], char *, size_t);
int ledger_issue_matches(const struct ledger_issue *,
    const struct ledger_filter *);
int ledger_task_open(const struct ledger_task *);
int ledger_task_overdue(const struct ledger_task *, int64_t now);
void ledger_rate_text(double, char *, size_t);
struct ledger_score *ledger_score_find(const struct ledger *,
    const char *department);
const char *ledger_state_zh(const char *);
const char *ledger_satisfaction_zh(const char *);
int ledger_satisfied(const char *);
struct cJSON *ledger_score_json(const struct ledger_score *);
struct cJSON *ledger_json(struct ledger *, const struct roster *,
    const struct ledger_filter *, int show_enterprises);
struct cJSON *ledger_json_printed(struct ledger *, const struct roster *,
    const struct ledger_filter *, int show_enterprises);
void ledger_free(struct ledger *);
#define LEDGER_MOMENTS 3      /* when a task's counts change with time */
void ledger_task_moments(const struct ledger_task *, int64_t[LEDGER_MOMENTS]);
void ledger_count_task(struct ledger_score *, const struct ledger_task *,
    int64_t now);
void ledger_count_ratings(struct ledger *, const struct ledger_issue *, int);
void ledger_add(struct ledger_score *, const struct ledger_score *, int);

/* ledger_tally.c */
struct ledger_tally *ledger_tally_new(const struct roster *, int64_t now);
void ledger_tally_free(struct ledger_tally *);
int ledger_tally_fits(const struct ledger_tally *, const struct roster *,
    int64_t now);
void ledger_tally_issue(struct ledger *, const struct ledger_issue *, int);
void ledger_tally_advance(struct ledger *, int64_t now);

/* ledger_index.c */
size_t ledger_count_matching(struct ledger *, const struct ledger_filter *);
size_t ledger_index_nth(struct ledger *, const struct ledger_filter *,
    size_t k);
void ledger_index_issue(struct ledger *, size_t pos,
    const struct ledger_issue *, int sign);
void ledger_index_move(struct ledger *, size_t pos, int up);
void ledger_index_drop(struct ledger *);
size_t ledger_rows_examined(void);
void ledger_rows_examine(size_t);

/* ledger_patch.c */
void ledger_patch(struct ledger *, struct ledger *changes,
    char *const *gone, size_t ngone);

/* ledger_memo.c */
void ledger_memo_drop(struct ledger *);
const char *ledger_memo_get(const struct ledger *, const char *key,
    const char **total);
void ledger_memo_put(struct ledger *, const char *key, const char *body,
    const char *total);

/* sentinel_addr.c */
#define SENTINEL_ADDR_MAX 16    /* Sentinels in [redis] sentinels */
struct sentinel_addr {
	char host[64];           /* numeric IPv4 or IPv6, no brackets */
	int port;
};
int sentinel_addr_numeric(const char *);
const char *sentinel_addr_parse(const char *, size_t, struct sentinel_addr *);
const char *sentinel_addr_list(const char *, struct sentinel_addr **,
    size_t *);
int sentinel_addr_from_reply(const struct redisReply *,
    struct sentinel_addr *);
int sentinel_addr_from_switch(const char *, size_t, const char *,
    struct sentinel_addr *);
int sentinel_addr_is_primary(const struct redisReply *);

/* redis_cluster.c */
enum redis_cluster_redirect {
	REDIS_CLUSTER_NONE,
	REDIS_CLUSTER_MOVED,        /* the slot is served by another node */
	REDIS_CLUSTER_ASK,          /* the slot is being handed over */
	REDIS_CLUSTER_TRYAGAIN      /* its keys are split by a move */
};
#define REDIS_CLUSTER_HEAD 5    /* verb, script, "1", the key, ARGV[1] */
int redis_cluster_tagged(const char *);
enum redis_cluster_redirect redis_cluster_redirect(const struct redisReply *,
    struct sentinel_addr *);
void redis_cluster_script_head(const char **, size_t *, const char *,
    const char *, size_t, const char *);

/* redis_sync.c */
struct config;
struct redisContext *redis_sync_connect(const struct config *, char *, size_t);
struct redisContext *redis_sync_connect_once(const struct config *, char *,
    size_t);
struct redisReply *redis_sync_script(struct redisContext *,
    const struct config *, enum store_script_id, const char *action,
    const char *payload, char *error, size_t errlen);
struct redisReply *redis_sync_argv(struct redisContext *,
    const struct config *, int, const char **, const size_t *);

/* log.c */
enum log_level { LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
void log_init(int foreground, enum log_level level);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* xmalloc.c */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
void xmalloc_init_cjson(void);

/* config.c */
/* quiet.c: quiet hours for chat robots (SPEC §12) */
#define QUIET_ALL_DAYS 0xfeu     /* bits 1 (Monday) .. 7 (Sunday) */
struct quiet {
	int on;                  /* 1: quiet has a daily window */
	int from, to;            /* the window, minutes after midnight; it
				    crosses midnight when to < from */
	unsigned days;           /* bit 1 (Monday) .. 7 (Sunday): quiet all day */
};
const char *quiet_parse_window(const char *value, struct quiet *q);
const char *quiet_parse_days(const char *value, struct quiet *q);
time_t quiet_end(const struct quiet *q, time_t t);

struct config {
	char *path;

	/* [server] */
	char *listen_host;       /* numeric address, IPv6 without brackets */
	int listen_port;
	char *public_url;
	int metrics_public;      /* 1: /metrics for anyone; 0: admin token only */
	int link_hours;          /* a sign-in link's life (web_link.c) */

	/* [ledger] */
	int ledger_show_enterprises;  /* 1: the public ledger names them */
	int ledger_cache_ms;          /* how long a read ledger serves; 0: never */
	int ledger_weights[LEDGER_WEIGHTS]; /* the score's weights (ledger.c), sum 100 */

	/* [redis] */
	char *redis_host;        /* numeric address */
	int redis_port;
	char *redis_socket;      /* NULL unless set; overrides host/port */
	char *redis_password;    /* NULL unless set */
	char *redis_prefix;
	int redis_timeout_ms;    /* connect and command deadline */
	/* [redis] for more than one machine (SPEC 13) */
	struct sentinel_addr *redis_sentinels;  /* NULL: host/port or socket */
	size_t redis_nsentinels;
	char *redis_master;      /* the name the Sentinels know the primary by */
	int redis_replicas;      /* WAIT for this many after a change; 0: off */
	int redis_wait_ms;       /* how long WAIT waits */
	int redis_cluster;       /* 1: a Cluster node; follow MOVED and ASK */
	struct sentinel_addr *redis_nodes;  /* Cluster nodes asked after host */
	size_t redis_nnodes;
	int redis_failover_wait_ms;  /* liaisonctl waits out a failover so long */

	/* [roster] */
	char *roster_file;

	/* [smtp] */
	char *smtp_url;
	char *smtp_from;
	char *smtp_ca_file;       /* NULL: the system's certificate authorities */
	char *smtp_username;
	char *smtp_password;
	int smtp_starttls;

	/* [limits] */
	size_t max_body;         /* bytes of a request body */
	size_t max_headers;      /* bytes of all request headers */
	int request_timeout_ms;  /* answer 503 when the store takes longer */
	int idle_timeout_s;      /* evhttp read/write timeout */
	int max_connections;
	int rate_per_minute;     /* requests per token and minute; 0 = no limit */
	int max_items;           /* items in one report */
	int max_title;           /* characters */
	int max_detail;          /* characters */
	int idempotency_ttl_s;   /* how long an Idempotency-Key is remembered */
	int list_limit;          /* most rows a list returns */
	/* [limits] against abuse: 0 turns one off */
	int items_per_period;    /* items one officer reports in a period */
	int sessions_per_token;  /* signed-in sessions of one token */
	int unknown_tokens_per_minute; /* per address: /login and bearer */
	int address_per_minute;  /* per address: the token-less routes */
	int connections_per_address; /* open connections of one address */
	int request_deadline_ms; /* to receive a whole request */

	/* [deadlines] */
	char *deadline_calendar; /* the working-day calendar file */
	int claim_days;          /* working days to claim a task */
	int respond_days;        /* ... to respond to it */
	int resolve_days;        /* ... to resolve it */
	int claim_seconds;       /* > 0: deadline in seconds instead (tests) */
	int respond_seconds;
	int resolve_seconds;

	/* [classify] */
	int common_min_enterprises;  /* distinct enterprises for "common" */
	double similarity;       /* threshold of similar_score */
	int window_max;          /* most open issues the window holds */

	/* [governance] (issue 16) */
	int extensions_max;      /* approved 延期 per task */
	int return_days;         /* working days a queued task may be returned */
	int return_seconds;      /* > 0: that window in seconds instead (tests) */
	int recurrence_days;     /* how far back a 复发 looks */
	int snapshot_days;       /* working days after a period ends: frozen */
	int snapshot_check_seconds; /* how often the freezer looks */
	int trend_periods;       /* periods a trend is measured against */
	int trend_min;           /* enterprises before a trend alerts */
	double trend_factor;     /* times the mean that alerts */
	int trend_check_seconds; /* how often the daily pass is looked for */

	/* [webhooks] */
	int webhook_schedule[20]; /* seconds before each attempt; see config.c */
	int webhook_nschedule;   /* 1..20 */
	int webhook_timeout_ms;  /* of one attempt, connecting included */
	int webhook_per_endpoint; /* concurrent requests to one endpoint */
	struct quiet webhook_quiet; /* quiet hours of chat robots (quiet.c) */

	/* [log] */
	enum log_level log_level;

	/* [digest] */
	int digest_enabled;
	int digest_weekday;      /* 1 (Monday) .. 7 (Sunday) */
	int digest_minute;       /* minutes after midnight, zone time */
	int digest_retry_seconds; /* first wait after a failed send */
	int digest_check_seconds; /* how often the scheduler looks */
	int digest_smtp_timeout_ms; /* to connect; three times that in all */
	/* [fieldwork] */
	int visit_days;          /* an officer with no visit this long is idle */

	/* [notify] officers' mail (notify.c, notify_sched.c) */
	int notify_enabled;
	int notify_batch_minutes; /* events within this go in one mail */
	int notify_batch_seconds; /* > 0: instead of the minutes (tests) */
	int notify_check_seconds; /* how often the sender looks */

	/* [web] */
	int web_session_days;    /* a page session's life from sign-in */

	/* [retention] (SPEC 14; retention.c) */
	int delivery_days;       /* an ended delivery is kept this long */
	int delivery_seconds;    /* > 0: that time in seconds instead (tests) */
	int retention_sweep_seconds; /* how often the sweeper looks */
};
struct config *config_load(const char *path, char **cause);
void config_free(struct config *);

/* uscc.c */
int uscc_check_char(const char *code17, char *check);
int uscc_valid(const char *code, char *expected);
int uscc_pack(const char *code, uint64_t *hi, uint32_t *lo);

/* roster.c */
struct department {
	char *id;
	char *name;
	char **emails;
	size_t nemails;
	char *webhook_url;       /* NULL when the department has no webhook */
	char *webhook_format;    /* standard|wecom|dingtalk|feishu */
	char *webhook_secret;    /* NULL when unset */
	size_t order;            /* its place in the file, for display */
};
struct topic {
	char *id;
	char *name;
	const struct department **departments;
	size_t ndepartments;
	char **keywords;
	size_t nkeywords;
};
struct enterprise {
	char id[USCC_LEN + 1];
	char *name;
	char *kind;              /* enterprise|social_org */
	char *area;
};
struct officer {
	char *id;
	char *name;
	char *level;             /* zone|municipal|provincial */
	char *unit;
	char *phone;
	char *email;
	const struct enterprise **enterprises;
	size_t nenterprises;
};
struct leader {
	char *name;
	char *email;
};
struct roster {
	char *path;
	char *zone_name;
	char *timezone;
	struct leader *leaders;
	size_t nleaders;
	/* The zone's leaders_webhook (trend alerts) as a department named
	 * ROSTER_LEADERS, so the webhook engine delivers to it; its
	 * webhook_url is NULL when the zone has none. */
	struct department leaders_hook;
	struct department *departments;  /* sorted by id */
	size_t ndepartments;
	struct topic *topics;            /* sorted by id */
	size_t ntopics;
	struct officer *officers;        /* sorted by id */
	size_t nofficers;
	struct enterprise *enterprises;  /* sorted by id */
	size_t nenterprises;
	void *arena;                     /* owns the strings; see roster.c */
};
#define ROSTER_ID_MAX 64
#define ROSTER_LEADERS "@leaders"   /* no department id has an @ */
#define ROSTER_ZONEINFO "/usr/share/zoneinfo"
enum roster_array {
	ROSTER_DEPARTMENTS,
	ROSTER_TOPICS,
	ROSTER_OFFICERS,
	ROSTER_ENTERPRISES
};
void *roster_alloc(struct roster *, size_t size, size_t align);
char *roster_strdup(struct roster *, const char *);
struct roster *roster_new(const char *path);
void roster_free(struct roster *);
const char *roster_text_problem(const char *, int allow_empty);
int roster_email_ok(const char *);
int roster_id_ok(const char *);
int roster_timezone_ok(const char *);
int roster_url_ok(const char *);
const char *roster_sort(struct roster *, enum roster_array);
const struct department *roster_department(const struct roster *, const char *);
const struct topic *roster_topic(const struct roster *, const char *);
const struct officer *roster_officer(const struct roster *, const char *);
const struct enterprise *roster_enterprise(const struct roster *, const char *);
int roster_officer_has(const struct officer *, const char *enterprise_id);

/* roster_load.c */
struct roster *roster_load(const char *path, char **cause);
struct roster *roster_load_rest(const char *path, struct cJSON **rest,
    char **cause);
struct roster *roster_load_text(const char *text, size_t len,
    const char *name, char **cause);

/* roster_items.c */
struct roster_items {            /* cJSON items in blocks, given back at once */
	struct cJSON **blocks;
	size_t n;                /* items in use */
	size_t nblocks;
};
struct cJSON *roster_items_new(struct roster_items *, int type);
struct cJSON *roster_items_string(struct roster_items *, const char *);
void roster_items_reset(struct roster_items *);
void roster_items_free(struct roster_items *);

/* roster_stream.c */
struct roster_stream;
struct roster_stream *roster_stream_new(const char *name);
int roster_stream_feed(struct roster_stream *, const char *, size_t);
void roster_stream_pass_over(struct roster_stream *);
struct roster *roster_stream_end(struct roster_stream *, struct cJSON **rest,
    char **cause);

/* roster_json.c */
struct roster_json;
struct roster_json *roster_json_begin(const char *name);
void roster_json_check_only(struct roster_json *);
int roster_json_streamed(const char *key, enum roster_array *which);
void roster_json_entry(struct roster_json *, enum roster_array,
    const struct cJSON *entry);
struct roster *roster_json_end(struct roster_json *, const struct cJSON *root,
    char **cause);
void roster_json_free(struct roster_json *);

/* date.c */
int date_month_length(int year, int month);
int64_t date_to_days(int year, int month, int day);
void date_from_days(int64_t days, int *year, int *month, int *day);
int date_weekday(int64_t days);
int date_digits(const char *s, int n);

/* period.c */
struct period {
	int year;
	int month;               /* 1..12 */
	int half;                /* 1: days 1-15, 2: day 16 to month end */
};
int period_parse(const char *s, struct period *);
void period_format(const struct period *, char buf[PERIOD_LEN + 1]);
void period_of_time(time_t, struct period *);
void period_previous(const struct period *, struct period *);
int period_equal(const struct period *, const struct period *);
time_t period_start(const struct period *);
int period_key(const struct period *);
time_t period_end(const struct period *);

/* workdays.c */
struct workdays_day {
	int date;                /* YYYYMMDD */
	int work;                /* 1: a make-up working day; 0: a day off */
	int line;                /* of the calendar file */
	char *name;              /* the holiday, as the file names it */
};
struct workdays {
	char *path;
	struct workdays_day *days;       /* sorted by date */
	size_t ndays;
};
struct workdays *workdays_load(const char *path, char **cause);
void workdays_free(struct workdays *);
int workdays_is_workday(const struct workdays *, int year, int month, int day);
time_t workdays_due(const struct workdays *, time_t start, int n);
int workdays_covers(const struct workdays *, int year);
int workdays_last_year(const struct workdays *);
int workdays_missing_year(const struct workdays *, int year);
void workdays_refresh_zh(int, int, char *, size_t);

/* similar.c */
#define SIMILAR_THRESHOLD_DEFAULT 0.22  /* Dice threshold; see similar.c */
struct similar_grams {
	uint32_t *v;             /* sorted, unique; the caller frees */
	size_t n;
};
struct similar_match {
	const char *issue;       /* owned by the window */
	const char *enterprise;
	const char *group;       /* NULL when in no group */
	double score;
	int period_key;
};
struct similar_window;
void similar_grams(const char *utf8, struct similar_grams *out);
double similar_score(const struct similar_grams *,
    const struct similar_grams *);
uint32_t similar_hash_string(const char *);

/* similar_bands.c */
#define SIMILAR_BANDS 48         /* MinHash bands of a text */
/*
 * The most entries a band index keeps under one band key (the first
 * added; later ones are found through their other bands only): a key that
 * many share marks a text common to them all, not a near duplicate, and a
 * longer run made every add walk it (similar_bands.c).
 */
#define SIMILAR_BANDS_KEY_MAX 256
struct similar_bands_index;
void similar_bands(const struct similar_grams *, uint32_t *keys);
struct similar_bands_index *similar_bands_index_new(void);
void similar_bands_index_free(struct similar_bands_index *);
void similar_bands_index_add(struct similar_bands_index *,
    const uint32_t *keys, size_t n, uint32_t slot);
void similar_bands_index_remove(struct similar_bands_index *,
    const uint32_t *keys, size_t n, uint32_t slot);
void similar_bands_index_each(struct similar_bands_index *,
    const uint32_t *keys, size_t n, void (*)(uint32_t, void *), void *);
void similar_bands_index_filter(struct similar_bands_index *,
    int (*keep)(uint32_t, void *), void *);
size_t similar_bands_index_bytes(const struct similar_bands_index *);

/* similar_window.c */
/*
 * A topic keeps a band index (similar_bands.c) from this many open issues
 * on, and drops it below half of it: smaller topics (tests/data, the
 * sample reports, a province's ~60,000 open issues a topic) are always
 * matched exactly, and pay no memory for it.
 */
#define SIMILAR_WINDOW_BANDS_FROM 131072
/*
 * A match in a banded topic walks its postings (exact) when they hold at
 * most this many slots, and otherwise asks the band index for candidates:
 * the walk costs ~10-25 ns a slot (p99, loaded), so this keeps it within
 * issue 13's 0.2 ms; dense text reaches it at ~185,000 open issues
 * (docs/BENCHMARKS.md).
 */
#define SIMILAR_WINDOW_WALK_MAX 6144
/*
 * A full window evicts its oldest window_max / this entries at once (at
 * least one), oldest half-month first: one posting pass for the batch,
 * not a walk of every evicted entry's postings (docs/OPERATIONS.md).
 */
#define SIMILAR_WINDOW_EVICT_SHARE 32
struct similar_window *similar_window_new(size_t max_entries);
void similar_window_free(struct similar_window *);
/* Add or update an open issue: period_key = year*24 + (month-1)*2 + (half-1). */
int similar_window_add(struct similar_window *, const char *issue,
    const char *topic, const char *enterprise, int period_key,
    const char *group, const char *text);
int similar_window_has(const struct similar_window *, const char *issue);
size_t similar_window_count(const struct similar_window *);
const char *similar_window_group(const struct similar_window *,
    const char *issue);
void similar_window_set_group(struct similar_window *, const char *issue,
    const char *group);
void similar_window_remove(struct similar_window *, const char *issue);
void similar_window_expire(struct similar_window *, int oldest_period_key);
/* Entries of topic with period_key >= min_period_key scoring >= threshold
 * against text, best first. */
size_t similar_window_match(struct similar_window *, const char *topic,
    const char *text, int min_period_key, double threshold,
    struct similar_match *out, size_t max);
size_t similar_window_bytes(const struct similar_window *);
size_t similar_window_steps(const struct similar_window *);
void similar_window_set_walk_max(struct similar_window *, size_t);
void similar_window_hold_bands(struct similar_window *, int held);

/* task.c */
enum task_state {
	TASK_QUEUED,
	TASK_CLAIMED,
	TASK_RESPONDED,
	TASK_RESOLVED,
	TASK_RETURNED,
	TASK_STATE_COUNT
};
struct task_step {
	const char *name;        /* claim, respond, resolve, return */
	unsigned from;           /* the states it may start from, as bits */
	const char *to;          /* the state it leads to */
	const char *body;        /* the request body's text field */
	const char *field;       /* the task field that text is kept in */
	size_t max;              /* characters of that text */
	const char *next;        /* the stage whose deadline runs next, or NULL */
	const char *event;       /* the history event */
};
int task_state_parse(const char *);
const char *task_state_name(enum task_state);
const struct task_step *task_step_find(const char *);
int task_step_allowed(const struct task_step *, enum task_state);
const char *task_stage_state(const char *);
const char *task_stage_zh(const char *stage);
const char *task_state_stage(const char *state);
void task_stages_json(struct cJSON *);

/* form.c */
enum form_result {
	FORM_OK,
	FORM_UNREADABLE,         /* evhttp cannot split it */
	FORM_NUL,                /* a NUL byte or %00 */
	FORM_NOT_UTF8            /* a value is not UTF-8 */
};
enum form_result form_parse(const char *body, size_t len, struct evkeyvalq *,
    char *name, size_t namelen);
int form_cookie(const char *header, const char *name, char *value,
    size_t vlen);

/* utf8.c */
int utf8_next(const unsigned char **, const unsigned char *, uint32_t *);
int utf8_valid(const char *, size_t);
int utf8_scan(const char *, size_t len, int *control);
size_t utf8_length(const char *);
size_t utf8_prefix(const char *, size_t len, size_t max);

/* reply_arena.c */
struct redisReader;
void reply_arena_use(struct redisReader *);

/* token.c */
#define TOKEN_LEN 35          /* "lt_" and 32 url-safe base64 characters */
int token_generate(char *out, size_t outlen);
void token_hash(const char *token, char out[TOKEN_HASH_LEN + 1]);

/* token_cache.c */
#define TOKEN_CACHE_ID_MAX 65 /* an id's bytes with its NUL, as a request's */
struct token_cache;
struct token_cache *token_cache_new(size_t);
void token_cache_free(struct token_cache *);
int token_cache_get(const struct token_cache *, const char *, int *, char *,
    size_t);
void token_cache_put(struct token_cache *, const char *, int, const char *);
void token_cache_forget(struct token_cache *, const char *);

/* util.c */
void util_sha256_hex(const void *, size_t, char out[TOKEN_HASH_LEN + 1]);
size_t util_hash(const char *);
int64_t util_now_ms(void);
time_t util_now(void);
const char *util_test_clock(void);
void util_time_iso8601(int64_t ms, char buf[32]);
void util_json_add_time(struct cJSON *, const char *, const char *);
void util_json_add_int(struct cJSON *, const char *, long long);
const char *util_reply_field(const struct redisReply *, const char *);
int util_vcause(char **cause, const char *name, int line, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

/* issue_json.c */
struct cJSON *issue_json_pick(const struct cJSON *, const char *const (*)[2]);
struct cJSON *issue_json(const struct redisReply *issue,
    const struct redisReply *tasks);
struct cJSON *issue_json_task(const struct redisReply *);
struct cJSON *issue_json_history(const struct redisReply *);
/* A task's anchor on /dept (id="task-T1"): links land on the task. */
#define ISSUE_TASK_ANCHOR "task-"
char *issue_json_task_link(const char *public_url, const char *task);
char *issue_json_dept_link(const char *public_url);

/* validate.c */
#define API_ERROR_MORE 7            /* further fields at fault, at most */
struct api_error {
	int status;                /* the HTTP status to answer */
	const char *code;          /* bad_request, invalid, forbidden ... */
	char message[256];
	char field[64];            /* the input field at fault, or "" */
	int nmore;                 /* other fields at fault in the same body */
	struct {
		const char *code;
		char message[256];
		char field[64];
	} more[API_ERROR_MORE];
};
void validate_error_set(struct api_error *, int, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 5, 6)));
void validate_error_add(struct api_error *, const struct api_error *, int *);
const char *validate_find_nul_escape(const char *, size_t);
struct cJSON *validate_parse_object(const char *, size_t, struct api_error *);
const struct cJSON *validate_find_bad_field(const struct cJSON *,
    const char *const *, int *twice);
int validate_check_fields(const struct cJSON *, const char *const *,
    const char *,
    struct api_error *);
int validate_get_string(const struct cJSON *, const char *, const char *, int,
    size_t,
    const char **, struct api_error *);
int validate_get_bool(const struct cJSON *, const char *, const char *, int *,
    struct api_error *);

/* trend.c (issue 16): trend alerts, 未诉先办 */
#define TREND_PERIODS_MAX 24
/* A period's set of enterprises per topic is only needed while reports
 * for the period come in (it and the next one): kept two months. */
#define TREND_SET_SECONDS (62 * 86400)
double trend_mean(const long *, int);
int trend_fires(long, const long *, int, int, double);
struct cJSON *trend_periods_json(const struct config *, const struct period *);
struct cJSON *trend_alerts(const char *, const struct config *,
    const struct roster *);
struct cJSON *trend_alert_json(const struct redisReply *);
struct digest_doc;
void trend_doc_table(struct digest_doc *, const struct cJSON *);
void trend_mail(const struct cJSON *, const char *, const char *, char **,
    char **, char **);

/* governance.c (issue 16) */
#define GOVERNANCE_EXTENSION_DAYS_MAX 30  /* working days per 延期 request */
struct governance_candidate {
	const char *id;          /* a finished issue of the enterprise */
	const char *topic;
	const char *text;        /* title "\n" detail */
};
int governance_extension_days(const struct cJSON *, int *,
    struct api_error *);
int64_t governance_extended_due(const struct workdays *, int64_t due_ms,
    int days);
int64_t governance_freeze_ms(const struct workdays *, const struct period *,
    int snapshot_days);
int governance_periods_open(const struct period *issue,
    const struct period *ledger);
int governance_recurrence(const struct governance_candidate *, size_t,
    const char *topic, const char *text, double threshold);
void governance_task_json(struct cJSON *, const struct redisReply *);
void governance_issue_json(struct cJSON *, const struct redisReply *);
void governance_return_window(struct cJSON *, const struct config *);

/* agenda.c (issue 16) */
#define AGENDA_PERIODS_LEN (2 * PERIOD_LEN + 8)  /* ["P1","P2"] */
#define AGENDA_BOTH_LEN (2 * PERIOD_LEN + 2)     /* "P1 P2" */
struct cJSON *agenda_json(const struct redisReply *, const char *periods_json,
    int64_t now);
void agenda_periods(time_t, char both[AGENDA_BOTH_LEN],
    char json[AGENDA_PERIODS_LEN]);
const char *agenda_kind_zh(const char *);
int agenda_current(const char *period, time_t);

/* report.c */
struct report_item {
	const struct enterprise *enterprise;
	const struct topic *topic;         /* as filed */
	const struct topic *route_topic;   /* whose departments it goes to */
	char *title;
	char *detail;
	int difficult;                     /* flagged by the officer */
	const char *category;              /* individual | difficult */
	char reason[160];                  /* why that category */
};
struct report_input {
	struct period period;
	int late;                          /* the previous period */
	struct report_item *items;
	size_t nitems;
};
struct report_input *report_parse(const char *, size_t, const struct roster *,
    const struct officer *, const struct config *, time_t, struct api_error *);
void report_input_free(struct report_input *);
const struct topic *report_route_topic(const struct roster *,
    const struct topic *, const char *, const char *);

/* webhook_backend.c */
#define WEBHOOK_ID_SIZE 64            /* "msg_" + delivery id + NUL */
#define WEBHOOK_SIGN_SIZE 45          /* base64 of HMAC-SHA256 + NUL */
#define WEBHOOK_SIGNATURE_SIZE 48     /* "v1," + WEBHOOK_SIGN_SIZE */
/* One event for a department: what a backend builds a request from. */
struct webhook_message {
	const char *event;       /* task.queued, task.updated ... */
	const struct cJSON *data; /* {task, issues, links}; webhook_markdown.c */
};
/* One HTTP request, ready for libcurl; webhook_backend_request_free. */
struct webhook_request {
	char *url;               /* with DingTalk's timestamp and sign */
	char *body;              /* JSON, NUL-terminated */
	size_t bodylen;
	char **headers;          /* "Name: value", for curl_slist_append */
	size_t nheaders;
};
/* One attempt to build, as webhook_backend_build hands it to a backend. */
struct webhook_attempt {
	const struct department *department; /* its URL and secret */
	const struct webhook_message *msgs;
	size_t n;                /* 1, unless the backend merges */
	const char *msg_id;      /* the (first) delivery's webhook_id */
	int64_t event_ms;        /* when the (first) event happened */
	time_t now_s;            /* this attempt's time */
	int64_t now_ms;
	const char *link;        /* ends the markdown, or NULL: links.task */
};
enum webhook_verdict {
	WEBHOOK_DELIVERED,
	WEBHOOK_RETRY,           /* again after the schedule's delay */
	WEBHOOK_DEAD,            /* never again (unless an admin retries) */
	WEBHOOK_GONE             /* dead, and the endpoint disabled (410) */
};
/* The answer to one attempt, as webhook_verdict reads it. */
struct webhook_response {
	long status;             /* HTTP status; 0: no answer */
	const char *error;       /* status 0: "timeout", curl's text, or NULL */
	const char *retry_after; /* the Retry-After header, or NULL */
	const char *body;        /* may be NULL */
	size_t bodylen;
};
struct webhook_robot_answer;
/*
 * A webhook format (the roster's webhook "format"): one in each of
 * webhook_standard.c, webhook_wecom.c, webhook_dingtalk.c and
 * webhook_feishu.c, all listed in webhook_backends (webhook_backend.c).
 *
 * build makes the request of attempt a in r, whose URL is already the
 * department's and whose Content-Type is JSON: it sets the body, and may
 * add to the URL and the headers. It returns 0, or -1 with *cause set.
 * sign writes the format's signature of an attempt (and of body, where the
 * format signs it) with secret to out; it returns 0, or -1 when the secret
 * cannot be used. It is NULL when the format signs nothing. verdict judges
 * an HTTP 2xx answer (retry_after: the seconds Retry-After asked for, or
 * -1), as webhook_verdict (webhook_verdict.c) describes; the chat robots'
 * is webhook_verdict_robot, which reads their answer's codes.
 *
 * A paced endpoint (pace_ms > 0) gets one message per pace_ms: the events
 * due at its turn are claimed together (lua/deliver.lua), so a paced
 * backend must merge them into one message.
 */
struct webhook_backend {
	const char *name;
	size_t max_bytes;        /* its size limit (text or body); 0: none */
	int pace_ms;             /* least time between two messages; 0: none */
	int merge;               /* 1: takes several events as one message */
	int rate_limit_delay_s;  /* least wait after 429 or a rate-limit code;
				    -1: what Retry-After asks */
	const char *const *token_paths; /* URL paths whose next segment is a
				    secret, NULL-terminated; or NULL */
	int (*build)(const struct webhook_backend *,
	    const struct webhook_attempt *a, struct webhook_request *r,
	    char **cause);
	int (*sign)(const char *secret, const struct webhook_attempt *,
	    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_SIZE]);
	enum webhook_verdict (*verdict)(const struct webhook_backend *,
	    const struct webhook_response *, int retry_after, int *delay_s,
	    char *error, size_t errlen);
	const struct webhook_robot_answer *answer; /* a robot's, or NULL */
	int (*secret_ok)(const char *); /* NULL: a secret is optional, any
				    text; else required, and this says
				    whether one is well formed */
	const char *secret_rule; /* what secret_ok wants, for a refusal */
};
extern const struct webhook_backend *const webhook_backends[];
const struct webhook_backend *webhook_backend_find(const char *name);
int webhook_backend_id(const char *delivery_id, char *buf, size_t len);
int webhook_backend_hmac_base64(const void *key, size_t keylen,
    const void *head, size_t headlen, const void *msg, size_t msglen,
    char out[WEBHOOK_SIGN_SIZE]);
int webhook_backend_sign_timestamp(const char *secret, long long timestamp,
    int text_is_key, char out[WEBHOOK_SIGN_SIZE]);
void webhook_backend_header(struct webhook_request *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void webhook_backend_body(struct webhook_request *, struct cJSON *);
int webhook_backend_build(const struct department *,
    const struct webhook_message *, size_t n, const char *delivery_id,
    time_t now_s, int64_t now_ms, const char *link,
    struct webhook_request *out, char **cause);
void webhook_backend_request_free(struct webhook_request *);

/* webhook_markdown.c */
#define WEBHOOK_MARKDOWN_BLANK_LINES 0x1 /* a blank line ends each (DingTalk) */
#define WEBHOOK_MARKDOWN_NO_HEADING 0x2  /* one message: no heading (Feishu) */
char *webhook_markdown(int flags, const struct webhook_message *, size_t n,
    const char *link, size_t max);
char *webhook_markdown_title(const struct webhook_message *, size_t n);
const char *webhook_markdown_colour(const char *event);

/* webhook_verdict.c */
/* How a chat robot says in its HTTP 200 whether it took a message. */
struct webhook_robot_answer {
	const char *code;        /* the member with the result: "errcode" */
	const char *code_fallback; /* read when code is missing, or NULL */
	const char *message;     /* the member with its text: "errmsg" */
	long long rate_limited;  /* the code for "too many messages" */
	long long busy;          /* the code for "busy, try again"; 0: none */
};
enum webhook_verdict webhook_verdict(const struct webhook_backend *,
    const struct webhook_response *, time_t now, int *delay_s, char *error,
    size_t errlen);
const char *webhook_verdict_name(enum webhook_verdict);
enum webhook_verdict webhook_verdict_robot(const struct webhook_backend *,
    const struct webhook_response *, int retry_after, int *delay_s,
    char *error, size_t errlen);

/* webhook_retry.c */
#define WEBHOOK_DELAY_MAX 604800      /* longest wait honoured, seconds */
#define WEBHOOK_SCHEDULE_MAX 20       /* most entries of [webhooks] schedule */
int webhook_retry_after(const char *value, time_t now);
int webhook_retry_delay(const int *schedule, int n, int attempt,
    double jitter01);

/* webhook_redact.c */
void webhook_redact_url(const char *url, char *out, size_t len);

/* mail.c */
#define MAIL_DATE_SIZE 40
struct mail_server {
	const char *url;         /* smtp:// or smtps:// */
	const char *from;        /* the envelope sender */
	const char *username;    /* NULL: no AUTH */
	const char *password;
	int starttls;            /* require STARTTLS on smtp:// */
	const char *ca_file;     /* NULL: the system's CAs */
	int timeout_ms;          /* to connect; three times that in all */
	int (*cancel)(void *);   /* non-zero: give up now; may be NULL */
	void *cancel_arg;
};
/* One message to one recipient; every string is UTF-8. */
struct mail {
	const char *from;
	const char *from_name;   /* NULL: the address alone */
	const char *to;
	const char *to_name;     /* NULL: the address alone */
	const char *subject;
	const char *date;        /* from mail_date */
	const char *message_id;  /* without the angle brackets */
	const char *text;        /* the text/plain part */
	const char *html;        /* the text/html part */
};
struct mail_result {
	long code;               /* the last SMTP reply code, 0 if none */
	int permanent;           /* a 5xx: sending again will not help */
	int server;              /* not this message's fault: the server is
	                            down or refused our login or TLS */
	char error[256];
};
char *mail_encode_header(const char *utf8);
void mail_date(time_t, int offset_s, char buf[MAIL_DATE_SIZE]);
int mail_send(const struct mail_server *, const struct mail *,
    struct mail_result *);

/* digest_week.c */
#define DIGEST_WEEK_LEN 8     /* "YYYY-Www" */
struct digest_week {
	int year;                /* the ISO week-numbering year */
	int week;                /* 1 .. 52 or 53 */
};
int digest_week_count(int year);
void digest_week_of_day(int64_t days, struct digest_week *);
int64_t digest_week_monday(const struct digest_week *);
int digest_week_parse(const char *, struct digest_week *);
void digest_week_format(const struct digest_week *,
    char buf[DIGEST_WEEK_LEN + 1]);
void digest_week_bounds(const struct digest_week *, int offset_s,
    int64_t *from_ms, int64_t *to_ms);
time_t digest_week_last(time_t, int offset_s, int weekday, int minute,
    struct digest_week *);

/* html.c */
const char *html_entity(unsigned char);
const char *html_escape_next(const char **s, size_t *len);

/* qr.c */
char *qr_svg(const char *text, int size, const char *label);
char *qr_text(const char *text);

/* digest_doc.c */
struct digest_doc_buf {
	char *s;                 /* NUL-terminated; NULL while empty */
	size_t len;
	size_t cap;
};
struct digest_doc {
	struct digest_doc_buf text;  /* the text/plain part */
	struct digest_doc_buf html;  /* the text/html part */
	size_t columns;          /* of the table being written */
	const int *numeric;
	const char *const *head; /* its column names */
	int stacked;             /* drawn as stacked rows (too wide for a phone) */
};
void digest_doc_buf_printf(struct digest_doc_buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void digest_doc_row_link(struct digest_doc *, const char *const *cells,
    const char *url);
void digest_doc_text_line(struct digest_doc *, const char *);
void digest_doc_begin(struct digest_doc *, const char *title);
void digest_doc_heading(struct digest_doc *, const char *);
void digest_doc_para(struct digest_doc *, const char *);
void digest_doc_link(struct digest_doc *, const char *text, const char *url);
void digest_doc_table(struct digest_doc *, const char *const *head, size_t n,
    const int *numeric);
void digest_doc_row(struct digest_doc *, const char *const *cells);
void digest_doc_table_end(struct digest_doc *);
void digest_doc_bars(struct digest_doc *, const char *const *head, size_t n);
void digest_doc_bars_row(struct digest_doc *, const char *label,
    const double *values, const char *const *texts);
void digest_doc_end(struct digest_doc *, const char *footer, char **text,
    char **html);

/* digest.c */
#define DIGEST_ROWS_MAX 200   /* rows of one table in a digest */
struct ledger;
struct digest_dead {             /* a webhook delivery given up on */
	char *id;
	char *department;
	char *event;
	char *task;
	char *error;
	int64_t created;         /* ms */
};
/* Everything one week's digests say; digest_collect.c fills it. */
struct digest_input {
	const struct roster *roster;
	struct digest_week week;
	int64_t from_ms;         /* the week: [from, to) */
	int64_t to_ms;
	int64_t now_ms;          /* when built: ages are counted to it */
	int offset_s;            /* the zone's offset from UTC */
	const char *public_url;
	struct ledger *received; /* issues received in the week, scored */
	struct ledger *open;     /* every issue not closed */
	struct ledger *resolved; /* issues with a task resolved in the week */
	char period[PERIOD_LEN + 1];     /* the current half-month */
	char previous[PERIOD_LEN + 1];
	const struct officer **unreported;  /* for period */
	size_t nunreported;
	const struct officer **missed;      /* for previous */
	size_t nmissed;
	struct digest_dead *dead;        /* the first ndead of dead_total */
	size_t ndead;
	size_t dead_total;
	struct digest_fieldwork *fieldwork;  /* digest_fieldwork.c's, or NULL */
	struct cJSON *alerts;    /* trend alerts recorded in the week */
	int64_t period_end_ms;   /* when period ends */
	int calendar_missing;    /* workdays_missing_year, or 0 */
	int calendar_last;       /* workdays_last_year */
};
struct digest_mail {
	char *name;              /* dept:ID or zone */
	char *subject;           /* UTF-8; mail.c encodes it */
	char *text;
	char *html;
};
void digest_subject(const struct digest_input *, const char *, char **);
void digest_zone(const struct digest_input *, struct digest_mail *);
int digest_department(const struct digest_input *, const struct department *,
    struct digest_mail *);
void digest_mail_free(struct digest_mail *);

/* digest_format.c */
void digest_format_time(const struct digest_input *, int64_t ms, char *,
    size_t);
void digest_format_age(int64_t from_ms, int64_t now_ms, char *, size_t);
void digest_format_omitted(const struct digest_input *, struct digest_doc *,
    size_t);
size_t digest_format_count(struct digest_doc *, size_t, const char *);

/* notify.c */
struct notify_item {             /* one event of an officer's batch */
	const char *event;       /* claimed_late, responded, … */
	const char *issue;
	const char *title;
	const char *department;  /* the department's name */
	const char *response;    /* what the department wrote, by event */
	const char *resolution;
	const char *reason;
	const char *period;      /* a reminder's half-month ("" for others) */
	int64_t at;              /* ms */
};
struct notify_input {
	const char *zone_name;
	const char *officer_name;
	const char *public_url;
	int offset_s;            /* the zone's offset from UTC */
	const struct notify_item *items;
	size_t nitems;
};
const char *notify_event_zh(const char *);
const char *notify_reminder(const struct workdays *, int year, int month,
    int day, int hour);
int64_t notify_batch_ms(const struct config *);
void notify_json(struct cJSON *, const struct config *);
void notify_mail(const struct notify_input *, char **subject, char **text,
    char **html);

/* digest_ledger.c */
int digest_ledger_has_work(const struct digest_input *,
    const struct department *);
void digest_ledger_department(const struct digest_input *,
    const struct department *, struct digest_doc *);
void digest_ledger_zone(const struct digest_input *, struct digest_doc *);

/* csv_read.c */
struct csv_cell {
	char *text;              /* UTF-8, NUL-terminated */
	int line;                /* where the cell starts, from 1 */
};
struct csv_row {
	struct csv_cell *cells;  /* column N is cells[N - 1] */
	size_t ncells;
	int line;                /* of its first cell */
};
struct csv_sheet {
	char *name;              /* the file, for messages */
	char delim;              /* ',' or '\t' */
	const char *encoding;    /* "UTF-8", "UTF-8 with BOM" or "GBK" */
	struct csv_row *rows;    /* blank rows left out */
	size_t nrows;
	struct csv_read_block *blocks;  /* hold the cells; see csv_read.c */
};
struct csv_sheet *csv_read_buffer(const char *name, const char *data,
    size_t len, char **cause);
struct csv_sheet *csv_read_file(const char *path, char **cause);
void csv_read_free(struct csv_sheet *);

/* roster_csv.c */
#define ROSTER_CSV_MAX_COLUMNS 8     /* a NULL key ends a sheet's columns */
enum roster_csv_sheet_id {
	ROSTER_CSV_OFFICERS,
	ROSTER_CSV_ENTERPRISES,
	ROSTER_CSV_DEPARTMENTS,
	ROSTER_CSV_TOPICS,
	ROSTER_CSV_LEADERS,
	ROSTER_CSV_NSHEETS
};
enum roster_csv_kind {
	ROSTER_CSV_TEXT,         /* the field, as it is */
	ROSTER_CSV_LIST,         /* an array: the words of the cell, ";" etc. */
	ROSTER_CSV_WORD,         /* a roster word, or its sheet word (words) */
	ROSTER_CSV_CODE,         /* a credit code */
	ROSTER_CSV_WEBHOOK,      /* key without "webhook_", in "webhook" */
	ROSTER_CSV_LINK          /* officer ids: the officers' "enterprises" */
};
struct roster_csv_column {
	const char *key;         /* the roster field, and the English header */
	const char *zh;          /* the Chinese header */
	int required;            /* the cell must not be empty */
	enum roster_csv_kind kind;
	const char *const (*words)[2];  /* ROSTER_CSV_WORD: roster, sheet */
};
struct roster_csv_layout {
	const char *name;        /* the array of the roster */
	struct roster_csv_column columns[ROSTER_CSV_MAX_COLUMNS];
};
struct roster_csv_key {          /* an id and the row it is on */
	char *id;
	size_t row;
	struct cJSON *entry;     /* what the row became, or NULL */
};
const struct roster_csv_layout *roster_csv_layout(enum roster_csv_sheet_id);
const char *roster_csv_sheet_name(enum roster_csv_sheet_id);
int roster_csv_key_cmp(const void *, const void *);
struct roster_csv_key *roster_csv_key_first(struct roster_csv_key *, size_t,
    const char *id);
void roster_csv_keys_free(struct roster_csv_key *, size_t);

/* roster_csv_export.c */
int roster_csv_export(const char *text, size_t len, const char *name,
    char *out[ROSTER_CSV_NSHEETS], size_t outlen[ROSTER_CSV_NSHEETS],
    size_t *reordered, char **cause);

/* roster_csv_import.c */
#define ROSTER_CSV_TIMEZONE "Asia/Shanghai"   /* when neither given nor based */
struct roster_csv_input {
	/* NULL: not given; the import trims their cells in place */
	struct csv_sheet *sheets[ROSTER_CSV_NSHEETS];
	const char *zone_name;   /* NULL: the base roster's */
	const char *timezone;    /* NULL: the base roster's, or Asia/Shanghai */
	const struct cJSON *base;       /* a roster for what is not given, or NULL */
};
struct roster_csv_counts {       /* of the roster an import wrote */
	size_t officers;
	size_t enterprises;
	size_t departments;
	size_t topics;
	size_t leaders;
};
typedef void roster_csv_writer(void *arg, const char *, size_t);
int roster_csv_import_write(const struct roster_csv_input *,
    roster_csv_writer *, void *arg, struct roster_csv_counts *,
    char **cause);
char *roster_csv_import(const struct roster_csv_input *,
    struct roster_csv_counts *, char **cause);

/* ledger_rows.c */
#define LEDGER_NCOLUMNS 24
#define LEDGER_NSUMMARY 19
#define LEDGER_TIME_TEXT 32
enum ledger_cell_type { LEDGER_CELL_TEXT, LEDGER_CELL_TIME };
struct ledger_column {
	const char *header;      /* Chinese */
	enum ledger_cell_type type;
};
struct ledger_cell {
	const char *text;        /* LEDGER_CELL_TEXT; "" when empty */
	int64_t ms;              /* LEDGER_CELL_TIME; 0 when empty */
};
extern const struct ledger_column ledger_columns[LEDGER_NCOLUMNS];
extern const char *const ledger_summary_columns[LEDGER_NSUMMARY];
void ledger_rows_cells(const struct ledger *, const struct roster *,
    const struct ledger_issue *, const struct ledger_task *,
    struct ledger_cell *);
size_t ledger_rows(const struct ledger *, const char *department,
    int category, void (*)(const struct ledger_issue *,
    const struct ledger_task *, void *), void *);
void ledger_rows_time_text(int64_t ms, char buf[LEDGER_TIME_TEXT]);
size_t ledger_rows_carried(const struct ledger *, const char *department,
    void (*)(const struct ledger_issue *, const struct ledger_task *,
    void *), void *);

/* ledger_csv.c */
int ledger_csv(const struct ledger *, const struct roster *,
    const char *department, char **out, size_t *outlen);

/* ledger_xlsx.c */
double ledger_xlsx_width(const char *);
double ledger_xlsx_lines(const char *, double width);
void ledger_xlsx_header_text(const char *zone, const char *doc, char *,
    size_t);
struct ledger_fieldwork;
int ledger_xlsx(const struct ledger *, const struct roster *,
    const char *department, const char *period, const struct cJSON *agenda,
    const struct ledger_fieldwork *, char **out, size_t *outlen,
    char **cause);

/* atomic_write.c */
struct atomic_file;
struct atomic_file *atomic_file_open(const char *path, char **cause);
int atomic_file_write(struct atomic_file *, const char *, size_t);
int atomic_file_commit(struct atomic_file *, char **cause);
void atomic_file_abort(struct atomic_file *);
int atomic_write_files(const char *const *paths, char *const *data,
    const size_t *lens, size_t n, char **cause);

/* ---- field work: visits, talks, outcomes, figures (SPEC §11) ---- */

/* fieldwork.c */
#define FIELDWORK_DATE_LEN 10            /* "YYYY-MM-DD" */
#define FIELDWORK_AUDIENCE_MAX 100000    /* people at one talk */
#define FIELDWORK_SUGGESTIONS_MAX 1000   /* collected on one visit */
#define FIELDWORK_NOTE_MAX 500           /* characters */
#define FIELDWORK_TITLE_MAX 100
#define FIELDWORK_EVENT_ENTERPRISES_MAX 50
#define FIELDWORK_NEVENT_KINDS 3
#define FIELDWORK_NOUTCOME_KINDS 6
enum fieldwork_unit {
	FIELDWORK_UNIT_COUNT,    /* things: 家, 项 */
	FIELDWORK_UNIT_PEOPLE,   /* 人, 人次 */
	FIELDWORK_UNIT_YUAN      /* stored in fen */
};
struct fieldwork_kind {
	const char *name;        /* the API's word */
	const char *zh;
	enum fieldwork_unit unit;
	int64_t max;             /* largest amount of one record, stored units */
	const char *unit_zh;     /* an outcome's unit: 家, 人, 元, 项 */
};
extern const struct fieldwork_kind fieldwork_visit_modes[];
extern const struct fieldwork_kind fieldwork_event_kinds[];
extern const struct fieldwork_kind fieldwork_outcome_kinds[];
struct api_error;
const struct fieldwork_kind *fieldwork_kind_find(const struct fieldwork_kind *,
    const char *);
size_t fieldwork_kind_index(const struct fieldwork_kind *,
    const struct fieldwork_kind *);
int fieldwork_date_parse(const char *, int64_t *day);
void fieldwork_date_format(int64_t day, char buf[FIELDWORK_DATE_LEN + 1]);
int64_t fieldwork_today(time_t);
int64_t fieldwork_earliest(time_t);
int fieldwork_offset(time_t);
int fieldwork_month(int64_t day);
int fieldwork_amount_read(const struct cJSON *, const struct fieldwork_kind *,
    const char *field, int64_t *units, struct api_error *);
struct cJSON *fieldwork_amount_json(const struct fieldwork_kind *, int64_t);
struct cJSON *fieldwork_visit_parse(const char *, size_t,
    const struct roster *, const struct officer *, time_t, struct api_error *);
struct cJSON *fieldwork_visit_record(const struct officer *,
    const struct enterprise *, int64_t day, const struct fieldwork_kind *mode,
    const char *note, int64_t suggestions);
struct cJSON *fieldwork_event_record(const struct officer *,
    const struct fieldwork_kind *, int64_t day, const char *title,
    int64_t audience, const struct cJSON *enterprises);
struct cJSON *fieldwork_outcome_record(const char *officer_id,
    const struct enterprise *, const struct fieldwork_kind *, int64_t day,
    int64_t units, const char *issue, const char *note);
struct cJSON *fieldwork_event_parse(const char *, size_t,
    const struct roster *, const struct officer *, time_t, struct api_error *);
struct cJSON *fieldwork_outcome_read(const struct cJSON *, const char *prefix,
    const struct roster *, const struct officer *, int from_task,
    time_t, struct api_error *);
struct cJSON *fieldwork_outcome_parse(const char *, size_t,
    const struct roster *, const struct officer *, time_t, struct api_error *);
struct cJSON *fieldwork_record_json(const struct redisReply *);

/* figures.c */
enum figures_outcome {           /* fieldwork_outcome_kinds' order */
	FIGURES_PARTY_ORG,
	FIGURES_MASS_ORG,
	FIGURES_HIRES,
	FIGURES_TAX_RELIEF,
	FIGURES_FUNDING,
	FIGURES_OTHER
};
struct figures {
	int64_t from, to;        /* day numbers, both included */
	int64_t officers, enterprises;   /* the roster's */
	int64_t visits, enterprises_visited, suggestions;
	int64_t events[FIELDWORK_NEVENT_KINDS];     /* fieldwork_event_kinds */
	int64_t audience[FIELDWORK_NEVENT_KINDS];
	int64_t issues[CATEGORY_COUNT];  /* raised in the range, by category */
	int64_t resolved;
	int64_t outcomes[FIELDWORK_NOUTCOME_KINDS]; /* stored units (fen) */
};
size_t figures_range_keys(int64_t from, int64_t to,
    void (*)(const char *, void *), void *);
void figures_add_totals(struct figures *, const struct redisReply *);
int64_t figures_day_ms(int64_t day, int offset_s);
int64_t figures_ms_day(int64_t ms, int offset_s);
struct cJSON *figures_payload(const struct figures *, int offset_s);
int figures_read(struct figures *, const struct redisReply *);
void figures_people_zh(int64_t, char *, size_t);
void figures_money_zh(int64_t fen, char *, size_t);
char *figures_summary_zh(const struct figures *);
struct cJSON *figures_json(const struct figures *);

/* performance.c */
struct performance {
	const struct officer *officer;
	size_t due, on_time, late, missed;       /* periods */
	int64_t visits, suggestions, events;
	int64_t *days;           /* per linked enterprise: since last visit, -1 */
	int *visited;            /* per linked enterprise: visited in range */
	size_t nvisited;
	int idle;                /* none visited in the last visit_days */
	int64_t raised, resolved, satisfied;     /* issues */
	int64_t outcomes[FIELDWORK_NOUTCOME_KINDS];
};
size_t performance_periods(int64_t from, int64_t to, time_t now,
    struct period *, size_t max);
void performance_count(const struct officer *, const struct redisReply *,
    int64_t from, int64_t to, const struct period *, size_t, int64_t today,
    int visit_days, struct performance *);
void performance_free(struct performance *);
int performance_idle(int64_t last, int64_t today, int visit_days);
struct cJSON *performance_json(const struct performance *);
struct cJSON *performance_payload(const struct officer *const *, size_t,
    int64_t from, int64_t to, time_t now, struct period *, size_t max,
    size_t *nperiods);
#define PERFORMANCE_NFIXED 12    /* performance_columns before the outcomes */
struct performance_column {
	const char *name;        /* the /officers page's ?sort= word */
	const char *zh;          /* the header */
};
extern const struct performance_column performance_columns[];
size_t performance_ncolumns(void);
const char *performance_column_name(size_t);
const char *performance_column_zh(size_t);
int64_t performance_value(const struct performance *, size_t);
void performance_value_text(const struct performance *, size_t, char *,
    size_t);

/* ledger_xlsx_fieldwork.c: a period's field work for the workbook */
#define LEDGER_FIELDWORK_RECORDS 5000   /* records of each kind a sheet holds */
#define LEDGER_FIELDWORK_OFFICERS 500   /* officers 指导员表现 holds (one script) */
struct ledger_fieldwork {
	int64_t from, to;                /* the period's days */
	struct period periods[2];        /* the periods that count */
	size_t nperiods;
	const struct redisReply *records[3];  /* visits, talks, outcomes */
	struct performance *rows;        /* one per officer, roster order */
	size_t nrows;
	int visit_days;
};
struct cJSON *ledger_fieldwork_payload(struct ledger_fieldwork *,
    const struct roster *, const char *period, time_t now);
int ledger_fieldwork_read(struct ledger_fieldwork *, const struct redisReply *,
    const struct roster *, time_t now, int visit_days);
void ledger_fieldwork_free(struct ledger_fieldwork *);

/* digest_fieldwork.c (digest_fieldwork_collect.c, the daemon's, fills it) */
struct digest_fieldwork {
	struct figures week;
	struct figures year;
	const struct officer **idle;     /* no visit in visit_days */
	int64_t *idle_days;              /* since the last visit; -1 never */
	size_t nidle;
	const struct enterprise **unvisited;  /* not this quarter */
	size_t nunvisited;
	int visit_days;
};
void digest_fieldwork_free(struct digest_fieldwork *);
void digest_fieldwork_zone(const struct digest_input *, struct digest_doc *);

/* ---- end of field work ---- */

#endif /* LIAISON_H */
