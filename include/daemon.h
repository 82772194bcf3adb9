/*
 * daemon.h -- structures and prototypes of the daemon proper (event loop,
 * HTTP, Redis), grouped by the file that defines them. liaison.h holds what
 * liaisonctl and the unit tests share.
 */
#ifndef LIAISON_DAEMON_H
#define LIAISON_DAEMON_H

#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

struct cJSON;
struct daemon;


/* sentinel.c */
struct sentinel;
typedef void (*sentinel_primary_fn)(void *, const struct sentinel_addr *);
struct sentinel *sentinel_start(struct event_base *, const struct config *,
    sentinel_primary_fn, void *);
void sentinel_reask(struct sentinel *);
void sentinel_stop(struct sentinel *);

/* store.c */
#define STORE_SCRIPT_MAXARGS 16
struct store {
	struct event_base *base;
	char *host;                 /* NULL until the Sentinels name one */
	int port;
	char *socket;
	char *password;
	char *prefix;
	int timeout_ms;

	/* More than one machine (SPEC 13) */
	struct sentinel *sentinel;  /* NULL: the config's host/port or socket */
	uint64_t failovers;         /* switches of primary followed (Sentinel's,
	                               or a Cluster's: store_cluster.c) */
	uint64_t connections;       /* connections that came up, so far */
	int replicas;               /* WAIT for this many after a change */
	int wait_ms;
	uint64_t waits_short;       /* changes fewer replicas confirmed */
	int64_t waited;             /* when the last WAIT was answered */
	double ping_clock;          /* metrics_clock() of the PING, for /metrics */
	struct store_batch *open;   /* changes of this pass, WAIT not yet sent */
	struct event *wait_ev;      /* sends that WAIT at the end of the pass */
	struct store_cluster *cluster;  /* NULL unless [redis] cluster */
	struct sentinel_addr *seeds;    /* the Cluster nodes the config gives */
	size_t nseeds;
	size_t seed;                /* the one asked last */
	uint64_t moved;             /* MOVED replies followed to a new node,
	                               but for a failover's (store_cluster.c) */
	uint64_t asked;             /* ASK / TRYAGAIN: waited for a move */

	redisAsyncContext *ctx;
	int up;                     /* connected, authenticated, scripts loaded */
	int stopping;
	int loading;                /* SCRIPT / FUNCTION LOADs outstanding */
	char sha[SCRIPT_COUNT][41];
	int fcall[SCRIPT_COUNT];    /* loaded as a Function: FCALL, not EVALSHA */

	int backoff_ms;
	struct event *retry_ev;
	struct event *connect_ev;
	struct event *ping_ev;
	struct event *drop_ev;
	const char *drop_reason;
	int ping_outstanding;
	uint64_t writes;            /* workflow scripts sent: changes made here */
	int64_t ping_sent;
	void (*on_up)(void *);      /* told each time the store is up */
	void *on_up_arg;
};
struct store *store_new(struct event_base *, const struct config *);
void store_free(struct store *);
int store_up(const struct store *);
void store_on_up(struct store *, void (*)(void *), void *);
int store_command(struct store *, redisCallbackFn *, void *, int,
    const char **, const size_t *);
int store_script(struct store *, enum store_script_id, redisCallbackFn *,
    void *, int, const char **, const size_t *);
void store_write_now(struct store *);
int store_reply_is_error(struct store *, const redisReply *);
int store_reply_unavailable(const redisReply *);
redisReply *store_reply_copy(const redisReply *);
const char *store_primary(const struct store *, char *, size_t);
void store_switch(struct store *, const struct sentinel_addr *, const char *);

/* store_cluster.c */
struct store_cluster;
struct store_cluster *store_cluster_new(struct store *);
void store_cluster_resume(struct store_cluster *);
void store_cluster_down(struct store_cluster *);
void store_cluster_moved(struct store_cluster *, const struct sentinel_addr *,
    const char *);
void store_cluster_free(struct store_cluster *);
int store_cluster_send(struct store_cluster *, redisCallbackFn *, void *, int,
    const char **, const size_t *);

/* connections.c */
/* loop.c */
struct redisAsyncContext;
struct request;
struct event_base *loop_base_new(void);
void loop_first_redis(struct redisAsyncContext *);
void loop_first_connection(struct request *);

void connections_start(struct daemon *);
void connections_note(struct daemon *, struct evhttp_request *);
size_t connections_open(void);
unsigned long connections_refused(void);
unsigned long connections_cut(void);
void connections_free(void);

/* ratelimit.c */
struct ratelimit;
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *);
int ratelimit_hit(struct ratelimit *, const char *key, int limit, time_t now);
int ratelimit_over(struct ratelimit *, const char *key, int limit, time_t now);

/* generation.c */
/*
 * A config and the roster and calendar it names, loaded together and
 * swapped together on SIGHUP. Each request holds a reference, so a reload
 * never pulls any of them from under a request in flight.
 */
struct generation {
	struct config *config;
	struct roster *roster;
	struct workdays *calendar;  /* for deadlines */
	char *constants;            /* every workflow payload's fixed part */
	int refs;
};
struct generation *generation_load(const char *path, char **cause);
struct generation *generation_ref(struct daemon *);
void generation_unref(struct generation *);
char *generation_payload_print(const struct generation *,
    const struct cJSON *);
void generation_check_calendar(const struct generation *);
void generation_warn_restart(const struct generation *,
    const struct generation *);

/* liaisond.c */
struct daemon {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *listener;
	struct store *store;
	struct ratelimit *ratelimit;
	struct token_cache *tokens; /* who tokens named (auth.c) */
	struct escalate *escalate;
	struct window *window;      /* recent issues, for common problems */
	struct intake *intake;      /* reports of one loop turn, one call */
	struct webhook *webhook;    /* delivers the outbox */
	struct ledger_cache *ledger_cache;
	struct generation *current;
	int draining;
	int inflight;               /* requests not yet answered */
	time_t started;
	struct digest_sched *digest; /* the weekly digest */
	struct snapshot *snapshot;  /* freezes past periods' ledgers (issue 16) */
	struct trend *trend;        /* the daily pass of trend alerts (issue 16) */
	struct notify_sched *notify; /* officers' mail */
	struct retention *retention; /* sweeps what is not kept (SPEC 14) */
	struct ledger_files *ledger_files; /* writes ledger files off the loop */
};

/* auth.c */
enum role {
	ROLE_NONE,
	ROLE_OFFICER,
	ROLE_DEPARTMENT,
	ROLE_ADMIN
};
#define ROLE_ANY ((1 << ROLE_OFFICER) | (1 << ROLE_DEPARTMENT) | (1 << ROLE_ADMIN))
struct request;
typedef void (*request_reply_fn)(struct request *, redisReply *);
const char *auth_role_name(enum role);
enum role auth_role_parse(const char *);
int auth_token_valid(const char *);
int auth_lookup(struct request *, const char *, request_reply_fn);
int auth_identity(struct request *, const redisReply *);
int auth_in_roster(const struct request *);
int auth_rate_limit(struct request *);
int auth_unknown_over(struct request *);
void auth_unknown_hit(struct request *);
void auth_bearer(struct request *);
void auth_recheck(struct request *);
#define AUTH_REMEMBERED_TOKENS 4096 /* token_cache.c's slots */

/* http.c */
int http_start(struct daemon *, char **cause);
void http_stop_listening(struct daemon *);
void http_configure(struct daemon *);

/* routes.c */
#define ROUTE_PAGE (1 << 16)        /* in roles: a web page (web.c) */
#define ROUTE_STATUS (1 << 17)      /* in roles: errors say {"status"} too */
/* in roles: a POST's script checks its token again (auth.c remembers) */
#define ROUTE_POST_CHECKS_TOKEN (1 << 18)
typedef void (*route_fn)(struct request *);
struct route {
	const char *pattern;        /* "/api/v1/issues/ *" matches one segment */
	int methods;                /* EVHTTP_REQ_GET | ... */
	int roles;                  /* 0: no token needed */
	route_fn handler;
	const char *name;           /* the metrics label */
	const char *arg;            /* for handlers that serve several routes */
	void (*error)(struct request *, int, const char *);  /* NULL: JSON */
};
typedef void (*request_api_fn)(struct request *, int, const char *);
const struct route *routes_find(const char *, int, char *, size_t);
int routes_allowed(const char *, char *, size_t, char *, size_t);
int routes_call_api(struct request *, const char *, const char *,
    const char *, request_api_fn);

/* request.c */
struct request_caller;
struct request {
	struct evhttp_request *req;
	struct daemon *daemon;
	const struct route *route;
	struct generation *gen;     /* a reference held until freed */
	struct roster *roster;      /* gen's */
	struct config *config;      /* gen's */
	struct workdays *calendar;  /* gen's */
	struct evkeyvalq query;
	int has_query;
	char param[128];            /* the '*' segment of the path */
	char *body;                 /* NUL-terminated copy */
	size_t bodylen;
	int method;

	enum role role;
	char actor_id[65];
	char token_hash[TOKEN_HASH_LEN + 1];

	struct event *timer;
	double started;             /* metrics_clock() when it came in */
	int answered;
	int pending;                /* store callbacks not yet run */
	int round_trips;            /* waits on Redis, counted per route */
	int status;
	/*
	 * Set while who is asking comes from a remembered token (auth.c)
	 * that the store has not confirmed: runs before any answer but a
	 * 503, which is held (held*) until it sends or drops it.
	 */
	void (*confirm)(struct request *);
	struct evbuffer *held;
	int held_status;
	char *held_type;

	void *state;                /* the handler's own data */
	void (*state_free)(void *);
	struct request_caller *caller;  /* see request_call */
};
typedef void (*request_reply_arg_fn)(struct request *, redisReply *, void *);
const char *request_method_name(int);
struct request *request_new(struct daemon *, struct evhttp_request *, int);
int request_read_body(struct request *);
void request_call(struct request *, const struct route *, const char *,
    const char *, request_api_fn);
int request_store_check(struct request *, const redisReply *);
void request_reply_json(struct request *, int, struct cJSON *);
void request_reply_raw(struct request *, int, const char *, const char *);
void request_reply_data(struct request *, int, const char *, const char *,
    size_t);
void request_error(struct request *, int, const char *, const char *,
    const char *);
void request_fail(struct request *, const struct api_error *);
void request_round_trip(struct request *);
int request_store(struct request *, request_reply_fn, int, const char **,
    const size_t *);
int request_script(struct request *, enum store_script_id, request_reply_fn,
    int, const char **, const size_t *);
int request_script_arg(struct request *, enum store_script_id,
    request_reply_arg_fn, void *, int, const char **, const size_t *);
const char *request_query(struct request *, const char *);
int request_check_query(struct request *, const char *const *);
const char *request_header(struct request *, const char *);
const char *request_peer(struct request *);
void request_hold(struct request *);
int request_drop(struct request *);
void request_held_send(struct request *);
void request_held_drop(struct request *);
int request_is_json(struct request *);

/* api.c */
int api_idempotency_key(struct request *, const char *);
int api_page(struct request *, char *, char *, size_t);
int api_period(struct request *, char *, int);
int api_id_valid(const char *, char);
int api_one_of(const char *, const char *const *);
int api_json_body(struct request *);
struct cJSON *api_list_answer(struct request *, const redisReply *,
    const char *, struct cJSON **);
const struct officer *api_officer(struct request *);
struct cJSON *api_body_object(struct request *, const char *const *);

/* metrics.c */
void metrics_count(const char *route, const char *method, int status);
void metrics_round_trips(const char *, int);
void metrics_write(struct evbuffer *);
enum metrics_family {
	METRICS_HTTP,               /* by route */
	METRICS_REDIS,              /* the PING round trip */
	METRICS_WEBHOOK,            /* by department */
	METRICS_DIGEST,             /* one mail */
	METRICS_INTAKE              /* one group commit's call */
};
double metrics_clock(void);
void metrics_observe(enum metrics_family, const char *, double);
void metrics_write_histograms(struct evbuffer *);
void metrics_free(void);

/* api_misc.c */
void api_misc_healthz(struct request *);
void api_misc_metrics(struct request *);
void api_misc_me(struct request *);

/* api_reports.c */
void api_reports(struct request *);

/* api_issues.c */
void api_issues(struct request *);
void api_issues_one(struct request *);
void api_issues_triage(struct request *);
void api_issues_fetch(struct request *, const char *);
void api_issues_reply(struct request *, redisReply *);

/* ledger_cache.c */
struct ledger_cache;
typedef void (*ledger_fn)(struct request *, struct ledger *);
struct ledger_cache *ledger_cache_new(void);
void ledger_cache_free(struct ledger_cache *);
void ledger_cache_fetch(struct request *, const char *, ledger_fn);
size_t ledger_cache_reads(const struct ledger_cache *);
void ledger_cache_rendered(struct ledger_cache *);
size_t ledger_cache_renders(const struct ledger_cache *);
size_t ledger_cache_counted(const struct ledger_cache *);
void ledger_cache_warm_start(struct daemon *);
void ledger_cache_stop(struct ledger_cache *);

/* api_ledger.c */
void api_ledger(struct request *);

/* api_ledger_files.c */
struct ledger_files;
void api_ledger_files_one(struct request *);
struct ledger_files *api_ledger_files_start(struct daemon *);
void api_ledger_files_stop(struct ledger_files *);

/* api_workflow.c */
struct cJSON *api_workflow_payload(struct request *);
int api_workflow_script(struct request *, enum store_script_id,
    const char *, struct cJSON *, request_reply_fn, int, const char **);
int api_workflow_run(struct request *, const char *, struct cJSON *,
    request_reply_fn,
    int, const char **);
int api_workflow_refused(struct request *, const redisReply *);

/* api_tasks.c */
void api_tasks_queue(struct request *);
void api_tasks_claim_next(struct request *);
void api_tasks_one(struct request *);
void api_tasks_step(struct request *);

/* api_governance.c (issue 16) */
void api_governance_extend(struct request *);
void api_governance_extension(struct request *);
void api_governance_extensions(struct request *);
void api_governance_snapshots(struct request *);
void api_governance_snapshot(struct request *);
struct cJSON *api_governance_entry(const redisReply *);

/* snapshot.c (issue 16) */
struct snapshot;
struct snapshot *snapshot_start(struct daemon *);
void snapshot_stop(struct snapshot *);

/* trend_sched.c (issue 16): trend alerts */
struct trend;
struct trend *trend_start(struct daemon *);
void trend_stop(struct trend *);
void trend_check(struct daemon *, const struct generation *, const char *);

/* retention.c (issue 12, SPEC 14) */
struct retention;
struct retention *retention_start(struct daemon *);
void retention_stop(struct retention *);
void retention_metrics(struct evbuffer *);

/* api_alerts.c (issue 16): trend alerts */
void api_alerts(struct request *);

/* api_agenda.c (issue 16) */
void api_agenda(struct request *);
void api_agenda_fetch(struct request *, request_reply_fn,
    char periods[AGENDA_PERIODS_LEN]);

/* api_recurrence.c (issue 16) */
void api_recurrence_find(struct request *, void (*)(struct request *));
void api_recurrence_defer(struct request *);
/* api_actions.c */
void api_actions_issue(struct request *);

/* intake.c */
struct intake;
struct evbuffer;
struct intake *intake_start(struct event_base *, struct store *);
void intake_stop(struct intake *);
void intake_submit(struct request *, const char *, const char *,
    const char *, const char *, request_reply_fn);
void intake_metrics(const struct intake *, struct evbuffer *);

/* window.c */
struct window;
struct window *window_start(struct event_base *, struct store *, size_t);
void window_stop(struct window *);
struct similar_window *window_index(struct window *);
int window_loaded(const struct window *);
int window_oldest_key(void);
void window_metrics(const struct window *, struct evbuffer *);

/* outbox_watch.c */
#define OUTBOX_GROUP "webhooks"     /* the engine's consumer group */
/*
 * Entries per read of the group, and so per deliver.lua enqueue (each read
 * is enqueued in one call): the call holds Redis, and every report queued
 * behind it, for its whole length: 100 entries 2.1-2.7 ms, 64 1.8-2.1
 * (load 4.7; with each index written once a call, 64 take 0.9 ms at load
 * 0.7: tests/bench/deliver_calls.py). The watch reads once a loop turn,
 * and a turn commits up to 64 reports at 64 connections: at 16 a read the
 * outbox fell behind the intake (half of it unread after 10 s), and every
 * call's fixed cost cut the intake by a tenth. A longer backlog is read on
 * at once, a piece a round trip (BENCHMARKS "Intake: the long calls in
 * Redis").
 */
#define OUTBOX_READ_MAX 64
#define OUTBOX_STR_(n) #n
#define OUTBOX_STR(n) OUTBOX_STR_(n)
#define OUTBOX_READ_COUNT OUTBOX_STR(OUTBOX_READ_MAX)
struct outbox_watch;
/* Entries read for the engine: [[id, [field, value, …]], …]. */
typedef void outbox_watch_fn(void *, const redisReply *);
struct outbox_watch *outbox_watch_new(struct event_base *, struct store *,
    const char *, outbox_watch_fn *, void *);
int outbox_watch_check(struct outbox_watch *);
void outbox_watch_free(struct outbox_watch *);

/* webhook.c */
struct webhook;
struct webhook *webhook_start_engine(struct daemon *);
void webhook_stop(struct webhook *);
int webhook_busy(const struct webhook *);

/* api_deliveries.c */
void api_deliveries(struct request *);
void api_deliveries_retry(struct request *);
void api_deliveries_retry_department(struct request *);

/* escalate.c */
struct escalate;
struct escalate *escalate_start(struct daemon *);
void escalate_stop(struct escalate *);

/* mailer.c */
struct mailer;
typedef void (*mailer_work_fn)(void *, struct mailer *);
typedef void (*mailer_done_fn)(void *);
struct mailer *mailer_start(struct event_base *);
int mailer_post(struct mailer *, mailer_work_fn, mailer_done_fn, void *);
int mailer_stopping(struct mailer *);
int mailer_busy(struct mailer *);
void mailer_stop(struct mailer *);

/* digest_sched.c */
struct digest_sched;
struct digest_sched *digest_sched_start(struct daemon *);
void digest_sched_kick(struct digest_sched *);
void digest_sched_stop(struct digest_sched *);

/* notify_sched.c */
struct notify_sched;
struct notify_sched *notify_sched_start(struct daemon *);
void notify_sched_stop(struct notify_sched *);

/* digest_collect.c */
struct cJSON *digest_collect(redisContext *, const struct generation *,
    const char *week, int offset_s, const char *period,
    const char *previous, char *error, size_t errlen);

/* api_digests.c */
void api_digests(struct request *);

/* ---- field work (SPEC §11) ---- */

/* api_fieldwork.c */
int api_fieldwork_range(struct request *, int64_t *from, int64_t *to);
int api_fieldwork_run(struct request *, const char *, struct cJSON *,
    request_reply_fn, int, const char **);
void api_fieldwork(struct request *);
int api_fieldwork_outcomes(struct request *, const struct cJSON *,
    struct cJSON *);

/* api_figures.c */
void api_figures(struct request *);
void api_figures_officers(struct request *);
void api_figures_officer_performance(struct request *);

/* web_fieldwork.c */
void web_fieldwork(struct request *);
void web_fieldwork_save(struct request *);
void web_fieldwork_outcomes(struct evbuffer *, const char *);

/* web_officers.c */
void web_officers(struct request *);
void web_officers_one(struct request *);

/* digest_fieldwork_collect.c */
struct digest_fieldwork *digest_fieldwork_collect(redisContext *,
    const struct config *, const struct roster *, int64_t from_ms,
    int64_t now_ms, int offset_s, char *error, size_t errlen);

/* ---- end of field work ---- */

/* web.c */
#define WEB_SID_LEN 32              /* hex of 128 random bits */
#define WEB_CSRF_LEN 32
struct web {
	struct evkeyvalq form;      /* the fields of a POSTed form */
	int has_form;
	char sid[WEB_SID_LEN + 1];  /* the session, "" when none */
	char csrf[WEB_CSRF_LEN + 1];
	char *flash;                /* the session's last confirmation (JSON) */
	char *name;                 /* the signed-in officer or department */
	void *page;                 /* the page's own data */
	void (*page_free)(void *);
};
struct web *web_state(struct request *);
void *web_page_new(struct request *, size_t, void (*)(void *));
const char *web_field(struct request *, const char *);
void web_escape(struct evbuffer *, const char *);
struct evbuffer *web_begin(struct request *, const char *);
void web_end(struct request *, struct evbuffer *, int, const char *);
void web_redirect(struct request *, const char *);
void web_error(struct request *, int, const char *);
void web_hidden_csrf(struct request *, struct evbuffer *);
void web_hidden_key(struct evbuffer *);
void web_signed_in_bar(struct request *, struct evbuffer *, const char *);
void web_time(struct evbuffer *, const char *);
const char *web_api_error(const char *, char *, size_t);
const char *web_state_name(const char *);
const char *web_category_name(const char *);
const char *web_field_label(const char *);
void web_field_message(struct request *, const char *, const char *, int,
    char *, size_t);
void web_department_names(struct request *, struct evbuffer *,
    const char *);
void web_static(struct request *);

/* web_session.c */
void web_session_dispatch(struct request *);
void web_session_load(struct request *);
void web_session_signin_page(struct request *, int, const char *);
void web_session_login(struct request *);
void web_session_open(struct request *);

/* web_admin.c */
void web_admin(struct request *);
void web_admin_action(struct request *);

/* web_cards.c */
void web_cards(struct request *);
void web_cards_revoke(struct request *);

/* web_link.c */
void web_link(struct request *);
void web_session_logout(struct request *);
void web_session_flash(struct request *, const char *, const char *);

/* web_form.c */
void web_form(struct request *);
void web_form_report(struct request *);
void web_form_action(struct request *);
void web_form_issue(struct request *);      /* one issue, its history */

/* web_dept.c */
void web_dept(struct request *);
void web_dept_step(struct request *);
void web_dept_extend(struct request *);     /* 申请延期 (issue 16) */

/* web_contact.c */
const char *web_contact_event_name(const char *);
void web_contact_tel(const char *, char *, size_t);
void web_contact(struct request *, struct evbuffer *, const struct redisReply *);
void web_contact_history(struct request *, struct evbuffer *,
    const redisReply *, int);
int web_contact_matches(struct request *, const struct redisReply *,
    const char *);

/* web_ledger.c */
void web_ledger(struct request *);

/* web_agenda.c (issue 16) */
void web_agenda(struct request *);

/* web_chart.c */
void web_chart_scores(struct evbuffer *, const struct ledger *);
void web_chart_line(struct evbuffer *, const struct ledger *);

/* web_assets.c (generated from web/ by web/embed.sh) */
struct web_asset {
	const char *name;           /* style.css */
	const char *path;           /* /static/style-HASH.css */
	const char *type;           /* its Content-Type */
	const char *etag;           /* "HASH" */
	const char *body;
	size_t len;
};
extern const struct web_asset web_assets[];

#endif /* LIAISON_DAEMON_H */
