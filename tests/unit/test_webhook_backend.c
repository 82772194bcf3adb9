/*
 * test_webhook_backend.c -- the webhook formats as backends
 * (webhook_backend.c and the files of its table: webhook_standard.c,
 * webhook_wecom.c, webhook_dingtalk.c, webhook_feishu.c, with
 * webhook_markdown.c, webhook_verdict.c, webhook_retry.c and
 * webhook_redact.c): the table itself, the signatures against values
 * computed elsewhere, every body parsed back, the robots' size limits with
 * Chinese text, every verdict, the retry schedule and URL redaction.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "liaison.h"

/* --- fixtures ------------------------------------------------------------ */

/* The outbox entry id of the event, and the attempt's time. */
#define DELIVERY "1795813204245-0"
#define NOW_S ((time_t)1795813204)
#define NOW_MS ((int64_t)1795813204245)
#define LINK "https://liaison.example.gov.cn/dept#T1"
/* The robots' limits (SPEC §7, PITFALLS): WeCom's markdown content,
 * DingTalk's markdown text, a Feishu body. */
#define WECOM_MAX 4096
#define DINGTALK_MAX 20000
#define FEISHU_MAX 20000

static const char message_json[] =
    "{\"task\":{\"id\":\"T1\",\"department\":\"hr\",\"state\":\"queued\","
    "\"issues\":[\"I1\",\"I2\"],\"created\":\"2026-11-26T09:00:00.000+08:00\","
    "\"deadline\":\"2026-11-27T23:59:59.000+08:00\"},"
    "\"issues\":["
    "{\"id\":\"I1\",\"enterprise\":\"91350100M000100Y43\","
    "\"enterprise_name\":\"福州星海电子有限公司\",\"topic\":\"social\","
    "\"topic_name\":\"社保缴纳\",\"title\":\"社保基数调整\\n# 不是标题\","
    "\"category\":\"common\",\"officer\":\"O001\",\"officer_name\":\"张三\","
    "\"deadline\":\"2026-11-27T23:59:59.000+08:00\"},"
    "{\"id\":\"I2\",\"enterprise\":\"91350100M000101Y41\","
    "\"enterprise_name\":\"福州蓝天物流有限公司\",\"topic\":\"social\","
    "\"topic_name\":\"社保缴纳\",\"title\":\"社保补缴流程繁琐\","
    "\"category\":\"common\",\"officer\":\"O002\",\"officer_name\":\"李四\"}"
    "],"
    "\"links\":{\"task\":\"" LINK "\"}}";

static cJSON *
message(void)
{
	cJSON *data = cJSON_Parse(message_json);

	assert_non_null(data);
	return data;
}

/* A message about one task with n issues whose titles are long Chinese. */
static cJSON *
long_message(size_t n, size_t pad)
{
	cJSON *data, *issues, *issue;
	char title[512];
	size_t i, j;

	data = message();
	issues = cJSON_GetObjectItem(data, "issues");
	for (i = 0; i < n; i++) {
		/* pad ASCII bytes shift where the limit falls in a character. */
		for (j = 0; j < pad; j++)
			title[j] = 'x';
		title[pad] = '\0';
		for (j = 0; j < 40; j++)
			strcat(title, j % 2 ? "办" : "𠀀");
		issue = cJSON_CreateObject();
		cJSON_AddStringToObject(issue, "id", "I9");
		cJSON_AddStringToObject(issue, "enterprise_name", "长名企业有限公司");
		cJSON_AddStringToObject(issue, "title", title);
		cJSON_AddItemToArray(issues, issue);
	}
	return data;
}

static struct department *
department(const char *format, const char *url, const char *secret)
{
	static struct department d;

	memset(&d, 0, sizeof d);
	d.id = "hr";
	d.name = "人社局";
	d.webhook_url = (char *)url;
	d.webhook_format = (char *)format;
	d.webhook_secret = (char *)secret;
	return &d;
}

/* The value of header name in r, or NULL. */
static const char *
header(const struct webhook_request *r, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < r->nheaders; i++) {
		if (strncasecmp(r->headers[i], name, len) == 0 &&
		    r->headers[i][len] == ':')
			return r->headers[i] + len + 2;
	}
	return NULL;
}

/* The backend named name, which must be in the table. */
static const struct webhook_backend *
backend(const char *name)
{
	const struct webhook_backend *b = webhook_backend_find(name);

	if (b == NULL)
		fail_msg("no backend \"%s\"", name);
	return b;
}

/* Build the request for one event; webhook_backend_build's answer. */
static int
build_one(const struct department *d, const char *event,
    const char *delivery_id, const cJSON *data, struct webhook_request *r,
    char **cause)
{
	struct webhook_message m;

	m.event = event;
	m.data = data;
	return webhook_backend_build(d, &m, 1, delivery_id, NOW_S, NOW_MS,
	    NULL, r, cause);
}

/* Build a request for data in format, which must succeed. */
static void
build(const struct department *d, const char *event, const cJSON *data,
    struct webhook_request *r)
{
	char *cause;

	if (build_one(d, event, DELIVERY, data, r, &cause) != 0)
		fail_msg("webhook_backend_build: %s", cause);
	assert_null(cause);
	assert_int_equal(r->bodylen, strlen(r->body));
	assert_true(utf8_valid(r->body, r->bodylen));
}

/* The string at a path of members (NULL-terminated) of obj. */
static const char *
string_at(const cJSON *obj, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, obj);
	while ((name = va_arg(ap, const char *)) != NULL)
		obj = cJSON_GetObjectItemCaseSensitive(obj, name);
	va_end(ap);
	return cJSON_GetStringValue(obj);
}

static int
ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

/* --- the table ----------------------------------------------------------- */

/*
 * webhook_backends is the one place the formats are listed: every backend
 * in it is whole (a name no other has, found by that name, a build and a
 * verdict, a signature that works where it has one, pacing the claim can
 * honour), and a name not in it is no format at all.
 */
static void
test_webhook_backend_table_is_the_one_place(void **state)
{
	const struct webhook_backend *b;
	const char *const *path;
	char out[WEBHOOK_SIGNATURE_SIZE];
	struct webhook_attempt a;
	size_t i, j;

	memset(&a, 0, sizeof a);
	a.msg_id = "msg_1795813204245_0";
	a.now_s = NOW_S;
	a.now_ms = NOW_MS;
	for (i = 0; (b = webhook_backends[i]) != NULL; i++) {
		assert_non_null(b->name);
		assert_true(*b->name != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(b->name,
			    webhook_backends[j]->name);
		assert_ptr_equal(webhook_backend_find(b->name), b);
		assert_non_null(b->build);
		assert_non_null(b->verdict);
		if (b->sign != NULL) {
			memset(out, 0, sizeof out);
			assert_int_equal(b->sign(
			    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &a, "{}",
			    2, out), 0);
			assert_true(strlen(out) > 0);
		}
		/* deliver.lua claims a paced endpoint's due events at once. */
		assert_true(b->pace_ms >= 0);
		if (b->pace_ms > 0)
			assert_true(b->merge);
		assert_true(b->rate_limit_delay_s >= -1);
		/* A required secret has a rule the roster's refusal quotes. */
		if (b->secret_ok != NULL) {
			assert_non_null(b->secret_rule);
			assert_false(b->secret_ok(""));
		}
		for (path = b->token_paths; path != NULL && *path != NULL;
		    path++)
			assert_true(**path == '/' &&
			    (*path)[strlen(*path) - 1] == '/');
	}
	assert_int_equal(i, 4);
	assert_non_null(webhook_backend_find("standard")->secret_ok);
	assert_true(webhook_backend_find("standard")->secret_ok(
	    "whsec_aGVsbG8gd29ybGQ="));
	assert_false(webhook_backend_find("standard")->secret_ok(
	    "whsec_not base64!"));
	assert_null(webhook_backend_find("wecom")->secret_ok);
	assert_null(webhook_backend_find("lark"));
	assert_null(webhook_backend_find(""));
	assert_null(webhook_backend_find("Standard"));
	assert_null(webhook_backend_find("wecom "));
	assert_null(webhook_backend_find(NULL));
}

/*
 * What each format's endpoint takes, as SPEC §7 and the robots' documents
 * say: a size limit, about 20 messages a minute for WeCom and DingTalk
 * (one every 3.5 s), 100 a minute and 5 a second for Feishu (0.7 s), a
 * minute's wait when a robot says it is rate limited; the standard format
 * one event per request, unpaced.
 */
static void
test_webhook_backends_say_what_their_endpoint_takes(void **state)
{
	static const struct {
		const char *name;
		size_t max_bytes;
		int pace_ms;
		int merge;
		int rate_limit_delay_s;
	} want[] = {
		{ "standard", 0, 0, 0, -1 },
		{ "wecom", WECOM_MAX, 3500, 1, 60 },
		{ "dingtalk", DINGTALK_MAX, 3500, 1, 60 },
		{ "feishu", FEISHU_MAX, 700, 1, 60 },
	};
	const struct webhook_backend *b;
	size_t i;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		b = backend(want[i].name);
		assert_int_equal(b->max_bytes, want[i].max_bytes);
		assert_int_equal(b->pace_ms, want[i].pace_ms);
		assert_int_equal(b->merge, want[i].merge);
		assert_int_equal(b->rate_limit_delay_s,
		    want[i].rate_limit_delay_s);
	}
	/* Only WeCom signs nothing: its key is in the URL. */
	assert_non_null(backend("standard")->sign);
	assert_null(backend("wecom")->sign);
	assert_non_null(backend("dingtalk")->sign);
	assert_non_null(backend("feishu")->sign);
}

/* --- signatures ---------------------------------------------------------- */

/*
 * The test vector published with the Standard Webhooks specification
 * (github.com/standard-webhooks/standard-webhooks, libraries' tests),
 * confirmed with python3: base64(hmac.new(b64decode(secret[6:]),
 * b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330." + payload, sha256)).
 */
/* The standard backend's signature of body for msg_id at timestamp. */
static int
sign_standard(const char *secret, const char *msg_id, time_t timestamp,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_SIZE])
{
	struct webhook_attempt a;

	memset(&a, 0, sizeof a);
	a.msg_id = msg_id;
	a.now_s = timestamp;
	return backend("standard")->sign(secret, &a, body, bodylen, out);
}

static void
test_webhook_standard_signature_matches_the_published_vector(void **state)
{
	const char *payload = "{\"test\": 2432232314}";
	char sig[WEBHOOK_SIGNATURE_SIZE];

	assert_int_equal(sign_standard(
	    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload,
	    strlen(payload), sig), 0);
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* The prefix is optional, as in the reference libraries. */
	assert_int_equal(sign_standard(
	    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload,
	    strlen(payload), sig), 0);
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	assert_int_equal(sign_standard("whsec_not*base64", "msg_1", 1,
	    "", 0, sig), -1);
	assert_int_equal(sign_standard("whsec_", "msg_1", 1, "", 0,
	    sig), -1);
}

/*
 * The signing context is kept between signatures (webhook_backend.c): each
 * is keyed afresh, so signatures under different keys, one after the
 * other, and an empty key each match the one-shot HMAC.
 */
static void
test_webhook_backend_hmac_keeps_no_key_between_signatures(void **state)
{
	const char *keys[] = { "first key", "", "a much longer second key, "
	    "longer than one SHA-256 block of sixty-four bytes in all", "k" };
	const char *msg = "1795813204\nmessage";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char got[WEBHOOK_SIGN_SIZE], want[WEBHOOK_SIGN_SIZE];
	size_t i, round;

	(void)state;
	for (round = 0; round < 2; round++)
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			assert_non_null(HMAC(EVP_sha256(), keys[i],
			    (int)strlen(keys[i]), (const unsigned char *)msg,
			    strlen(msg), md, &mdlen));
			EVP_EncodeBlock((unsigned char *)want, md, (int)mdlen);
			assert_int_equal(webhook_backend_hmac_base64(keys[i],
			    strlen(keys[i]), NULL, 0, msg, strlen(msg), got),
			    0);
			assert_string_equal(got, want);
		}
}

/*
 * A context is kept per key (webhook_backend.c): more keys than it keeps,
 * each signing two messages in a row, round after round, the oldest keys
 * replaced and set again; keys that differ only in length or in their
 * last byte; every signature the one-shot HMAC's.
 */
static void
test_webhook_backend_hmac_kept_keys_sign_as_one_shot(void **state)
{
	char keys[12][80], got[WEBHOOK_SIGN_SIZE], want[WEBHOOK_SIGN_SIZE];
	const char *msgs[] = { "1795813204\nmessage", "" };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	size_t i, j, round, head, n = sizeof keys / sizeof keys[0];

	(void)state;
	for (i = 0; i < n; i++)
		snprintf(keys[i], sizeof keys[i], "key %zu%s", i % 6,
		    i < 6 ? "" : i % 2 ? "x" : "!");
	for (round = 0; round < 3; round++)
		for (i = 0; i < n; i++)
			for (j = 0; j < 2; j++) {
				assert_non_null(HMAC(EVP_sha256(), keys[i],
				    (int)strlen(keys[i]),
				    (const unsigned char *)msgs[j],
				    strlen(msgs[j]), md, &mdlen));
				EVP_EncodeBlock((unsigned char *)want, md,
				    (int)mdlen);
				assert_int_equal(webhook_backend_hmac_base64(
				    keys[i], strlen(keys[i]), NULL, 0,
				    msgs[j], strlen(msgs[j]), got), 0);
				assert_string_equal(got, want);
				/* a shorter key, its prefix; msg in two */
				head = strlen(msgs[j]) < 4 ? 0 : 4;
				assert_non_null(HMAC(EVP_sha256(), keys[i],
				    (int)strlen(keys[i]) - 1,
				    (const unsigned char *)msgs[j],
				    strlen(msgs[j]), md, &mdlen));
				EVP_EncodeBlock((unsigned char *)want, md,
				    (int)mdlen);
				assert_int_equal(webhook_backend_hmac_base64(
				    keys[i], strlen(keys[i]) - 1, msgs[j], head,
				    msgs[j] + head, strlen(msgs[j]) - head,
				    got), 0);
				assert_string_equal(got, want);
			}
}

/*
 * DingTalk: computed with python3 as base64(hmac.new(secret, b"1795813204245\n"
 * + secret, sha256)) = "OS+Xdrf2eIRoyw6lSFIrDSMq3z9DUIQdEOmPpP58XPs=", then
 * urllib.parse.quote_plus. Feishu: base64(hmac.new(b"1795813204\n" +
 * secret, b"", sha256)).
 */
#define DINGTALK_SECRET \
	"SEC1a2b3c4d5e6f7890abcdef1234567890abcdef1234567890abcdef12345678"
#define DINGTALK_SIGN "OS+Xdrf2eIRoyw6lSFIrDSMq3z9DUIQdEOmPpP58XPs="
#define DINGTALK_SIGN_ESCAPED "OS%2BXdrf2eIRoyw6lSFIrDSMq3z9DUIQdEOmPpP58XPs%3D"
#define FEISHU_SECRET "fs-secret-Ab3dE"
#define FEISHU_SIGN "3pXi95CtEuvhdPyJHQeyv7jqmk9Li2NPlma2zj/BxO0="

static void
test_webhook_robot_signatures_match_python(void **state)
{
	char sign[WEBHOOK_SIGNATURE_SIZE];
	struct webhook_attempt a;

	memset(&a, 0, sizeof a);
	a.now_s = NOW_S;
	a.now_ms = NOW_MS;
	assert_int_equal(backend("dingtalk")->sign(DINGTALK_SECRET, &a, NULL, 0,
	    sign), 0);
	assert_string_equal(sign, DINGTALK_SIGN);
	assert_int_equal(backend("feishu")->sign(FEISHU_SECRET, &a, NULL, 0,
	    sign), 0);
	assert_string_equal(sign, FEISHU_SIGN);
}

static void
test_webhook_id_is_msg_and_the_delivery_id(void **state)
{
	char buf[WEBHOOK_ID_SIZE];

	assert_int_equal(webhook_backend_id("1795813204245-0", buf, sizeof buf),
	    0);
	assert_string_equal(buf, "msg_1795813204245_0");
	assert_int_equal(webhook_backend_id("", buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(webhook_backend_id("1-0\r\nX: y", buf, sizeof buf),
	    -1);
	assert_int_equal(webhook_backend_id("1795813204245-0", buf, 19), -1);
	assert_int_equal(webhook_backend_id("1795813204245-0", buf, 20), 0);
}

/* --- bodies -------------------------------------------------------------- */

static void
test_webhook_standard_body_headers_and_signature(void **state)
{
	const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	struct webhook_request r;
	unsigned char key[64], md[EVP_MAX_MD_SIZE];
	char *msg, want[64];
	unsigned int mdlen;
	cJSON *data, *body;
	int keylen;

	data = message();
	build(department("standard", "https://hooks.example.com/in", secret),
	    "task.queued", data, &r);
	assert_string_equal(r.url, "https://hooks.example.com/in");
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	assert_string_equal(header(&r, "webhook-id"), "msg_1795813204245_0");
	assert_string_equal(header(&r, "webhook-timestamp"), "1795813204");

	body = cJSON_Parse(r.body);
	assert_non_null(body);
	assert_string_equal(string_at(body, "type", NULL), "task.queued");
	/* The event's time (from the outbox id), local time in the test. */
	assert_string_equal(string_at(body, "timestamp", NULL),
	    "2026-11-28T05:00:04.245+08:00");
	assert_true(cJSON_Compare(cJSON_GetObjectItem(body, "data"), data, 1));
	cJSON_Delete(body);

	/* Verify with libcrypto directly, as a receiver would. */
	keylen = EVP_DecodeBlock(key, (const unsigned char *)secret + 6, 32);
	assert_int_equal(keylen, 24);
	assert_true(asprintf(&msg, "msg_1795813204245_0.1795813204.%s",
	    r.body) > 0);
	assert_non_null(HMAC(EVP_sha256(), key, keylen,
	    (unsigned char *)msg, strlen(msg), md, &mdlen));
	memcpy(want, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)want + 3, md, mdlen);
	assert_string_equal(header(&r, "webhook-signature"), want);
	free(msg);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

static void
test_webhook_wecom_markdown_names_what_to_act_on(void **state)
{
	struct webhook_request r;
	const char *content;
	cJSON *data, *body;

	data = message();
	build(department("wecom",
	    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", NULL),
	    "task.queued", data, &r);
	assert_string_equal(r.url,
	    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc");
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	assert_null(header(&r, "webhook-signature"));
	body = cJSON_Parse(r.body);
	assert_non_null(body);
	assert_string_equal(string_at(body, "msgtype", NULL), "markdown");
	content = string_at(body, "markdown", "content", NULL);
	assert_non_null(content);
	assert_non_null(strstr(content, "### 【新任务】社保缴纳\n"));
	assert_non_null(strstr(content, "**类别**：共性\n"));
	assert_non_null(strstr(content,
	    "**企业**：福州星海电子有限公司、福州蓝天物流有限公司\n"));
	assert_non_null(strstr(content, "**指导员**：张三、李四\n"));
	assert_non_null(strstr(content, "**办理期限**：2026-11-27 23:59\n"));
	/* A line break in a title does not start a heading. */
	assert_non_null(strstr(content,
	    "1. 福州星海电子有限公司：社保基数调整 # 不是标题\n"));
	assert_non_null(strstr(content, "2. 福州蓝天物流有限公司：社保补缴流程繁琐\n"));
	assert_true(ends_with(content, "[查看任务](" LINK ")"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

/* A trend alert (alert.trend, SPEC §12) to the leaders' robot. */
static void
test_webhook_trend_alert_markdown(void **state)
{
	struct webhook_message m;
	cJSON *data, *alert, *links;
	char *text, *title;

	(void)state;
	data = cJSON_CreateObject();
	alert = cJSON_AddObjectToObject(data, "alert");
	cJSON_AddStringToObject(alert, "id", "2026-12-1:hiring");
	cJSON_AddStringToObject(alert, "period", "2026-12-1");
	cJSON_AddStringToObject(alert, "topic", "hiring");
	cJSON_AddStringToObject(alert, "topic_name", "用工招聘");
	cJSON_AddNumberToObject(alert, "enterprises", 7);
	cJSON_AddNumberToObject(alert, "mean", 2.5);
	links = cJSON_AddObjectToObject(data, "links");
	cJSON_AddStringToObject(links, "agenda", "https://lo.example/agenda");
	m.event = "alert.trend";
	m.data = data;
	text = webhook_markdown(0, &m, 1, NULL, WECOM_MAX);
	assert_non_null(strstr(text, "### 【趋势预警】用工招聘\n"));
	assert_non_null(strstr(text, "**期**：2026-12-1\n"));
	assert_non_null(strstr(text, "**本期反映企业**：7 家（此前平均 2.5 家）\n"));
	assert_true(ends_with(text, "(https://lo.example/agenda)"));
	assert_null(strstr(text, "**类别**"));
	title = webhook_markdown_title(&m, 1);
	assert_string_equal(title, "【趋势预警】用工招聘");
	free(title);
	free(text);
	cJSON_Delete(data);
}

static void
test_webhook_events_have_chinese_names(void **state)
{
	static const char *const events[][2] = {
		{ "task.queued", "【新任务】" },
		{ "task.updated", "【共性问题新增】" },
		{ "task.reminder", "【认领提醒】" },
		{ "task.escalated", "【超期升级】" },
		{ "task.reopened", "【重新办理】" },
	};
	struct webhook_message m;
	cJSON *data;
	char *text;
	size_t i;

	data = message();
	cJSON_AddStringToObject(cJSON_GetObjectItem(data, "task"), "overdue",
	    "claim");
	for (i = 0; i < sizeof events / sizeof events[0]; i++) {
		m.event = events[i][0];
		m.data = data;
		/* WeCom's markdown: no flags. */
		text = webhook_markdown(0, &m, 1, NULL, WECOM_MAX);
		assert_non_null(strstr(text, events[i][1]));
		assert_non_null(strstr(text, "**超期环节**：认领\n"));
		free(text);
	}
	cJSON_Delete(data);
}

static void
test_webhook_dingtalk_signs_in_the_query(void **state)
{
	struct webhook_request r;
	const char *text;
	cJSON *data, *body;

	data = message();
	build(department("dingtalk",
	    "https://oapi.dingtalk.com/robot/send?access_token=tok",
	    DINGTALK_SECRET), "task.escalated", data, &r);
	assert_string_equal(r.url,
	    "https://oapi.dingtalk.com/robot/send?access_token=tok"
	    "&timestamp=1795813204245&sign=" DINGTALK_SIGN_ESCAPED);
	body = cJSON_Parse(r.body);
	assert_non_null(body);
	assert_string_equal(string_at(body, "msgtype", NULL), "markdown");
	assert_string_equal(string_at(body, "markdown", "title", NULL),
	    "【超期升级】社保缴纳");
	text = string_at(body, "markdown", "text", NULL);
	assert_non_null(text);
	/* DingTalk breaks lines only at a blank line. */
	assert_non_null(strstr(text, "**类别**：共性\n\n"));
	assert_true(ends_with(text, "[查看任务](" LINK ")"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);

	/* No secret: the URL as it is; no query yet: '?'. */
	build(department("dingtalk", "https://oapi.dingtalk.com/robot/send",
	    NULL), "task.queued", data, &r);
	assert_string_equal(r.url, "https://oapi.dingtalk.com/robot/send");
	webhook_backend_request_free(&r);
	build(department("dingtalk", "https://oapi.dingtalk.com/robot/send",
	    DINGTALK_SECRET), "task.queued", data, &r);
	assert_string_equal(r.url, "https://oapi.dingtalk.com/robot/send"
	    "?timestamp=1795813204245&sign=" DINGTALK_SIGN_ESCAPED);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

static void
test_webhook_feishu_signs_in_the_body(void **state)
{
	struct webhook_request r;
	const cJSON *element;
	const char *content;
	cJSON *data, *body;

	data = message();
	build(department("feishu",
	    "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123",
	    FEISHU_SECRET), "task.reminder", data, &r);
	assert_string_equal(r.url,
	    "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123");
	body = cJSON_Parse(r.body);
	assert_non_null(body);
	assert_string_equal(string_at(body, "timestamp", NULL), "1795813204");
	assert_string_equal(string_at(body, "sign", NULL), FEISHU_SIGN);
	assert_string_equal(string_at(body, "msg_type", NULL), "interactive");
	assert_string_equal(string_at(body, "card", "header", "title",
	    "content", NULL), "【认领提醒】社保缴纳");
	assert_string_equal(string_at(body, "card", "header", "title", "tag",
	    NULL), "plain_text");
	element = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    body, "card"), "elements"), 0);
	assert_string_equal(string_at(element, "tag", NULL), "markdown");
	content = string_at(element, "content", NULL);
	assert_non_null(content);
	/* The card header holds the heading; the markdown starts below. */
	assert_null(strstr(content, "###"));
	assert_non_null(strstr(content, "**指导员**：张三、李四\n"));
	assert_true(ends_with(content, "[查看任务](" LINK ")"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);

	/* No secret: neither timestamp nor sign. */
	build(department("feishu",
	    "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123", NULL),
	    "task.reminder", data, &r);
	body = cJSON_Parse(r.body);
	assert_null(cJSON_GetObjectItem(body, "timestamp"));
	assert_null(cJSON_GetObjectItem(body, "sign"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

/* --- what an officer's text may not do in a robot's message ------------- */

/* A title and an enterprise name written to abuse the official robot. */
#define HOSTILE_TITLE "领取补贴[点此](http://evil.example/p) " \
    "![图](http://evil.example/i.png) @all @所有人 <at id=all></at> " \
    "<@zhangsan> <a href=\"http://evil.example\">链接</a> " \
    "<font color=red>紧急</font> &lt;at id=all&gt; 访问 https://evil.example"

static cJSON *
hostile_message(void)
{
	cJSON *data = message(), *issue;

	issue = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "issues"), 0);
	cJSON_ReplaceItemInObject(issue, "title",
	    cJSON_CreateString(HOSTILE_TITLE));
	cJSON_ReplaceItemInObject(issue, "enterprise_name",
	    cJSON_CreateString("[假冒企业](http://evil.example)"));
	cJSON_ReplaceItemInObject(issue, "topic_name",
	    cJSON_CreateString("<at id=all></at>社保"));
	return data;
}

/*
 * text carries our own link only: no other link or image, no mention, no
 * HTML tag or entity, no address; and the officer's words are still there.
 */
static void
check_neutral(const char *text, int link_at_end)
{
	const char *p;

	assert_non_null(text);
	p = strstr(text, "](");
	if (link_at_end) {
		assert_non_null(p);
		assert_true(ends_with(text, "[查看任务](" LINK ")"));
		assert_ptr_equal(p, strstr(text, "[查看任务](") +
		    strlen("[查看任务"));
	} else
		assert_null(p);
	assert_null(strstr(text, "!["));
	assert_null(strchr(text, '<'));
	assert_null(strchr(text, '>'));
	assert_null(strchr(text, '@'));
	assert_null(strchr(text, '&'));
	assert_null(strstr(text, "http://evil"));
	assert_null(strstr(text, "https://evil"));
	/* shown, not dropped */
	assert_non_null(strstr(text, "领取补贴［点此］(http：//evil.example/p)"));
	assert_non_null(strstr(text, "＠all ＠所有人 ＜at id=all＞＜/at＞"));
	assert_non_null(strstr(text, "＆lt;at id=all＆gt;"));
}

static void
test_webhook_wecom_shows_an_officers_markup_as_text(void **state)
{
	struct webhook_request r;
	cJSON *data, *body;

	(void)state;
	data = hostile_message();
	build(department("wecom",
	    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", NULL),
	    "task.queued", data, &r);
	body = cJSON_Parse(r.body);
	check_neutral(string_at(body, "markdown", "content", NULL), 1);
	assert_non_null(strstr(string_at(body, "markdown", "content", NULL),
	    "［假冒企业］(http：//evil.example)"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

static void
test_webhook_dingtalk_shows_an_officers_markup_as_text(void **state)
{
	struct webhook_request r;
	cJSON *data, *body;

	(void)state;
	data = hostile_message();
	build(department("dingtalk",
	    "https://oapi.dingtalk.com/robot/send?access_token=tok", NULL),
	    "task.queued", data, &r);
	body = cJSON_Parse(r.body);
	check_neutral(string_at(body, "markdown", "text", NULL), 1);
	/* The notification's title too; and no "at" member to ping anyone. */
	assert_null(strchr(string_at(body, "markdown", "title", NULL), '<'));
	assert_null(cJSON_GetObjectItem(body, "at"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

static void
test_webhook_feishu_shows_an_officers_markup_as_text(void **state)
{
	struct webhook_request r;
	const cJSON *element;
	cJSON *data, *body;

	(void)state;
	data = hostile_message();
	build(department("feishu",
	    "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123", NULL),
	    "task.queued", data, &r);
	body = cJSON_Parse(r.body);
	element = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    body, "card"), "elements"), 0);
	check_neutral(string_at(element, "content", NULL), 1);
	assert_string_equal(string_at(body, "card", "header", "title",
	    "content", NULL), "【新任务】＜at id=all＞＜/at＞社保、社保缴纳");
	cJSON_Delete(body);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

/* --- size limits --------------------------------------------------------- */

/* The text at path in the body of r, checked and cut as the limits say. */
static void
check_cut(const char *text, size_t max)
{
	if (strlen(text) > max)
		fail_msg("%zu bytes, more than %zu", strlen(text), max);
	assert_true(utf8_valid(text, strlen(text)));
	assert_true(ends_with(text, "…（详见链接）[" LINK "](" LINK ")"));
}

static void
test_webhook_wecom_cuts_chinese_at_4096_bytes_keeping_the_link(void **state)
{
	struct webhook_request r;
	cJSON *data, *body;
	size_t pad;

	/* Every alignment of 1-, 3- and 4-byte characters on the limit. */
	for (pad = 0; pad < 12; pad++) {
		data = long_message(40, pad);
		build(department("wecom", "https://qyapi.weixin.qq.com/x?key=k",
		    NULL), "task.updated", data, &r);
		body = cJSON_Parse(r.body);
		assert_non_null(body);
		check_cut(string_at(body, "markdown", "content", NULL),
		    WECOM_MAX);
		cJSON_Delete(body);
		webhook_backend_request_free(&r);
		cJSON_Delete(data);
	}
}

static void
test_webhook_dingtalk_and_feishu_cut_at_20000_bytes(void **state)
{
	struct webhook_request r;
	const cJSON *element;
	cJSON *data, *body;
	size_t pad;

	for (pad = 0; pad < 4; pad++) {
		data = long_message(200, pad);
		build(department("dingtalk", "https://oapi.dingtalk.com/r",
		    NULL), "task.updated", data, &r);
		body = cJSON_Parse(r.body);
		assert_non_null(body);
		check_cut(string_at(body, "markdown", "text", NULL),
		    DINGTALK_MAX);
		cJSON_Delete(body);
		webhook_backend_request_free(&r);

		/* Feishu's limit is on the body, escapes included. */
		build(department("feishu", "https://open.feishu.cn/x",
		    FEISHU_SECRET), "task.updated", data, &r);
		assert_true(r.bodylen <= FEISHU_MAX);
		assert_true(r.bodylen > FEISHU_MAX - 200);
		body = cJSON_Parse(r.body);
		assert_non_null(body);
		element = cJSON_GetArrayItem(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(body, "card"), "elements"), 0);
		check_cut(string_at(element, "content", NULL),
		    FEISHU_MAX);
		cJSON_Delete(body);
		webhook_backend_request_free(&r);
		cJSON_Delete(data);
	}
}

static void
test_utf8_prefix_never_splits_a_character(void **state)
{
	const char *s = "a中𠀀";     /* 1 + 3 + 4 bytes */

	assert_int_equal(utf8_prefix(s, 8, 8), 8);
	assert_int_equal(utf8_prefix(s, 8, 100), 8);
	assert_int_equal(utf8_prefix(s, 8, 7), 4);
	assert_int_equal(utf8_prefix(s, 8, 5), 4);
	assert_int_equal(utf8_prefix(s, 8, 4), 4);
	assert_int_equal(utf8_prefix(s, 8, 3), 1);
	assert_int_equal(utf8_prefix(s, 8, 1), 1);
	assert_int_equal(utf8_prefix(s, 8, 0), 0);
}

/* --- merging and refusals ------------------------------------------------ */

static void
test_webhook_a_burst_merges_into_one_chat_message(void **state)
{
	struct webhook_message m[3];
	struct webhook_request r;
	const char *content;
	cJSON *data, *body;
	char *cause;

	data = message();
	m[0].event = "task.queued";
	m[1].event = "task.updated";
	m[2].event = "task.reminder";
	m[0].data = m[1].data = m[2].data = data;
	assert_int_equal(webhook_backend_build(department("wecom",
	    "https://qyapi.weixin.qq.com/x?key=k", NULL), m, 3, DELIVERY, NOW_S,
	    NOW_MS, "https://liaison.example.gov.cn/dept", &r, &cause), 0);
	body = cJSON_Parse(r.body);
	content = string_at(body, "markdown", "content", NULL);
	assert_non_null(content);
	assert_non_null(strstr(content, "### 3 条新消息\n#### 【新任务】社保缴纳\n"));
	assert_non_null(strstr(content, "#### 【共性问题新增】社保缴纳\n"));
	assert_non_null(strstr(content, "#### 【认领提醒】社保缴纳\n"));
	assert_true(ends_with(content,
	    "[查看任务](https://liaison.example.gov.cn/dept)"));
	cJSON_Delete(body);
	webhook_backend_request_free(&r);

	/* The standard format is one event per request. */
	assert_int_equal(webhook_backend_build(department("standard",
	    "https://h.example.com/", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
	    m, 2, DELIVERY, NOW_S, NOW_MS, NULL, &r, &cause), -1);
	assert_string_equal(cause,
	    "department hr: 2 messages for the standard format");
	free(cause);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

static void
test_webhook_build_refuses_what_cannot_be_sent(void **state)
{
	struct webhook_request r;
	cJSON *data;
	char *cause;

	data = message();
	assert_int_equal(build_one(department("wecom", NULL, NULL),
	    "task.queued", DELIVERY, data, &r, &cause), -1);
	assert_string_equal(cause, "department hr has no webhook");
	free(cause);
	webhook_backend_request_free(&r);
	assert_int_equal(build_one(department("slack", "https://x/", NULL),
	    "task.queued", DELIVERY, data, &r, &cause), -1);
	assert_string_equal(cause, "department hr: unknown webhook format");
	free(cause);
	webhook_backend_request_free(&r);
	assert_int_equal(build_one(department("standard", "https://x/",
	    NULL), "task.queued", DELIVERY, data, &r, &cause), -1);
	assert_string_equal(cause,
	    "department hr: the standard format needs a secret");
	free(cause);
	webhook_backend_request_free(&r);
	assert_int_equal(build_one(department("wecom", "https://x/", NULL),
	    "task.queued", "1-0\n", data, &r, &cause), -1);
	assert_string_equal(cause, "bad delivery id \"1-0\n\"");
	free(cause);
	webhook_backend_request_free(&r);
	cJSON_Delete(data);
}

/* --- verdicts ------------------------------------------------------------ */

/* Every row of the verdict table. */
static const struct {
	const char *format;
	long status;
	const char *retry_after;
	const char *body;
	enum webhook_verdict verdict;
	int delay;
	const char *error;
} verdicts[] = {
	{ "standard", 200, NULL, "", WEBHOOK_DELIVERED, -1, "" },
	{ "standard", 204, NULL, NULL, WEBHOOK_DELIVERED, -1, "" },
	{ "standard", 200, NULL, "{\"errcode\":1}", WEBHOOK_DELIVERED,
	  -1, "" },
	{ "wecom", 200, NULL, "{\"errcode\":0,\"errmsg\":\"ok\"}",
	  WEBHOOK_DELIVERED, -1, "" },
	{ "wecom", 200, NULL,
	  "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}",
	  WEBHOOK_DEAD, -1, "errcode 93000 invalid webhook url" },
	{ "wecom", 200, NULL,
	  "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}",
	  WEBHOOK_RETRY, 60, "errcode 45009 rate limited" },
	{ "wecom", 200, "120", "{\"errcode\":45009}",
	  WEBHOOK_RETRY, 120, "errcode 45009 rate limited" },
	{ "wecom", 200, NULL, "{\"errcode\":-1,\"errmsg\":\"busy\"}",
	  WEBHOOK_RETRY, -1, "errcode -1 busy" },
	{ "wecom", 200, NULL, "<html>proxy</html>", WEBHOOK_RETRY, -1,
	  "HTTP 200 without errcode" },
	{ "wecom", 200, NULL, "{\"errcode\":1e300}", WEBHOOK_DEAD, -1,
	  "errcode 1" },
	{ "dingtalk", 200, NULL, "{\"errcode\":0,\"errmsg\":\"ok\"}",
	  WEBHOOK_DELIVERED, -1, "" },
	{ "dingtalk", 200, NULL,
	  "{\"errcode\":130101,\"errmsg\":\"send too fast\"}",
	  WEBHOOK_RETRY, 60, "errcode 130101 rate limited" },
	{ "dingtalk", 200, NULL,
	  "{\"errcode\":310000,\"errmsg\":\"sign not match\"}",
	  WEBHOOK_DEAD, -1, "errcode 310000 sign not match" },
	{ "dingtalk", 200, NULL, "{\"errcode\":45009}", WEBHOOK_DEAD,
	  -1, "errcode 45009" },
	{ "feishu", 200, NULL,
	  "{\"StatusCode\":0,\"StatusMessage\":\"success\",\"code\":0,"
	  "\"data\":{},\"msg\":\"success\"}", WEBHOOK_DELIVERED, -1, "" },
	{ "feishu", 200, NULL, "{\"StatusCode\":0}", WEBHOOK_DELIVERED,
	  -1, "" },
	{ "feishu", 200, NULL,
	  "{\"code\":11232,\"msg\":\"frequency limited\"}", WEBHOOK_RETRY, 60,
	  "code 11232 rate limited" },
	{ "feishu", 200, NULL,
	  "{\"code\":19021,\"data\":{},\"msg\":\"sign match fail\"}",
	  WEBHOOK_DEAD, -1, "code 19021 sign match fail" },
	{ "feishu", 200, NULL, "{\"code\":-1}", WEBHOOK_DEAD, -1,
	  "code -1" },
	{ "standard", 408, NULL, NULL, WEBHOOK_RETRY, -1, "HTTP 408" },
	{ "standard", 429, NULL, NULL, WEBHOOK_RETRY, -1, "HTTP 429" },
	{ "standard", 429, "30", NULL, WEBHOOK_RETRY, 30, "HTTP 429" },
	{ "standard", 429, "Fri, 27 Nov 2026 21:02:04 GMT", NULL,
	  WEBHOOK_RETRY, 120, "HTTP 429" },
	{ "standard", 429, "soon", NULL, WEBHOOK_RETRY, -1, "HTTP 429" },
	{ "wecom", 429, NULL, NULL, WEBHOOK_RETRY, 60, "HTTP 429" },
	{ "wecom", 429, "900", NULL, WEBHOOK_RETRY, 900, "HTTP 429" },
	{ "standard", 410, NULL, NULL, WEBHOOK_GONE, -1, "HTTP 410" },
	{ "feishu", 410, NULL, NULL, WEBHOOK_GONE, -1, "HTTP 410" },
	{ "standard", 400, NULL, NULL, WEBHOOK_DEAD, -1, "HTTP 400" },
	{ "standard", 401, NULL, NULL, WEBHOOK_DEAD, -1, "HTTP 401" },
	{ "standard", 404, NULL, NULL, WEBHOOK_DEAD, -1, "HTTP 404" },
	{ "dingtalk", 400, NULL, "{\"errcode\":0}", WEBHOOK_DEAD, -1,
	  "HTTP 400" },
	{ "standard", 500, NULL, NULL, WEBHOOK_RETRY, -1, "HTTP 500" },
	{ "standard", 502, "10", NULL, WEBHOOK_RETRY, -1, "HTTP 502" },
	{ "standard", 503, "10", NULL, WEBHOOK_RETRY, 10, "HTTP 503" },
	{ "wecom", 504, NULL, "{\"errcode\":0}", WEBHOOK_RETRY, -1,
	  "HTTP 504" },
	{ "standard", 301, NULL, NULL, WEBHOOK_RETRY, -1, "HTTP 301" },
	{ "standard", 0, NULL, NULL, WEBHOOK_RETRY, -1,
	  "network error" },
};

static void
test_webhook_every_verdict(void **state)
{
	struct webhook_response r;
	enum webhook_verdict v;
	char error[128];
	size_t i;
	int delay;

	for (i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		memset(&r, 0, sizeof r);
		r.status = verdicts[i].status;
		r.retry_after = verdicts[i].retry_after;
		r.body = verdicts[i].body;
		r.bodylen = r.body != NULL ? strlen(r.body) : 0;
		v = webhook_verdict(backend(verdicts[i].format), &r, NOW_S,
		    &delay, error, sizeof error);
		if (v != verdicts[i].verdict || delay != verdicts[i].delay ||
		    strcmp(error, verdicts[i].error) != 0)
			fail_msg("row %zu (%s %ld %s): got %s, %d, \"%s\"; "
			    "expected %s, %d, \"%s\"", i,
			    verdicts[i].format,
			    verdicts[i].status, verdicts[i].body ?
			    verdicts[i].body : "-", webhook_verdict_name(v),
			    delay, error,
			    webhook_verdict_name(verdicts[i].verdict),
			    verdicts[i].delay, verdicts[i].error);
	}
}

static void
test_webhook_network_errors_keep_their_text(void **state)
{
	struct webhook_response r;
	char error[128];
	int delay;

	memset(&r, 0, sizeof r);
	r.error = "timeout";
	assert_int_equal(webhook_verdict(backend("wecom"), &r, NOW_S, &delay,
	    error, sizeof error), WEBHOOK_RETRY);
	assert_int_equal(delay, -1);
	assert_string_equal(error, "timeout");
	/* The error buffer may hold the text already. */
	snprintf(error, sizeof error, "Connection refused");
	r.error = error;
	assert_int_equal(webhook_verdict(backend("standard"), &r, NOW_S,
	    &delay, error, sizeof error), WEBHOOK_RETRY);
	assert_string_equal(error, "Connection refused");
}

/* --- retries ------------------------------------------------------------- */

static void
test_webhook_retry_after_seconds_and_dates(void **state)
{
	assert_int_equal(webhook_retry_after(NULL, NOW_S), -1);
	assert_int_equal(webhook_retry_after("0", NOW_S), 0);
	assert_int_equal(webhook_retry_after(" 30 ", NOW_S), 30);
	assert_int_equal(webhook_retry_after("99999999999999999999", NOW_S),
	    WEBHOOK_DELAY_MAX);
	assert_int_equal(webhook_retry_after("30s", NOW_S), -1);
	assert_int_equal(webhook_retry_after("-5", NOW_S), -1);
	assert_int_equal(webhook_retry_after("", NOW_S), -1);
	assert_int_equal(webhook_retry_after("Fri, 27 Nov 2026 21:02:04 GMT",
	    NOW_S), 120);
	/* A date past means at once. */
	assert_int_equal(webhook_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    NOW_S), 0);
	assert_int_equal(webhook_retry_after("Fri, 27 Foo 2026 21:02:04 GMT",
	    NOW_S), -1);
	assert_int_equal(webhook_retry_after("Fri, 27 Nov 2026 21:02:04 CET",
	    NOW_S), -1);
	assert_int_equal(webhook_retry_after("Fri, 27 Nov 2026 21:02:04 GMTx",
	    NOW_S), -1);
}

static void
test_webhook_schedule_with_jitter_and_exhaustion(void **state)
{
	static const int svix[] = { 0, 5, 300, 1800, 7200, 18000, 36000,
	    36000 };
	int i, d;

	/* Attempt 0 goes at once, whatever the jitter. */
	assert_int_equal(webhook_retry_delay(svix, 8, 0, 0.0), 0);
	assert_int_equal(webhook_retry_delay(svix, 8, 0, 0.99), 0);
	/* ±20 %: 0 is the low end, 0.5 the middle, just under 1 the top. */
	assert_int_equal(webhook_retry_delay(svix, 8, 1, 0.0), 4);
	assert_int_equal(webhook_retry_delay(svix, 8, 1, 0.5), 5);
	assert_int_equal(webhook_retry_delay(svix, 8, 1, 0.999999), 6);
	assert_int_equal(webhook_retry_delay(svix, 8, 2, 0.0), 240);
	assert_int_equal(webhook_retry_delay(svix, 8, 2, 0.5), 300);
	assert_int_equal(webhook_retry_delay(svix, 8, 2, 0.999999), 360);
	for (i = 0; i < 8; i++) {
		d = webhook_retry_delay(svix, 8, i, (double)i / 8);
		assert_true(d >= svix[i] * 8 / 10 && d <= svix[i] * 12 / 10);
	}
	/* Out-of-range jitter is clamped into [0, 1). */
	assert_int_equal(webhook_retry_delay(svix, 8, 7, -3.0), 28800);
	assert_int_equal(webhook_retry_delay(svix, 8, 7, 7.0), 43200);
	/* After the last attempt: dead. */
	assert_int_equal(webhook_retry_delay(svix, 8, 8, 0.5), -1);
	assert_int_equal(webhook_retry_delay(svix, 8, -1, 0.5), -1);
	/* The test schedule "0,1,1,1" stays whole seconds. */
	assert_int_equal(webhook_retry_delay((int[]){ 0, 1, 1, 1 }, 4, 3,
	    0.999999), 1);
	assert_int_equal(webhook_retry_delay((int[]){ 0, 1, 1, 1 }, 4, 4,
	    0.0), -1);
}

/* --- redaction and names ------------------------------------------------- */

static const char *const redactions[][2] = {
	{ "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6",
	  "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***" },
	{ "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1"
	  "&sign=x%2B",
	  "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=***"
	  "&sign=***" },
	{ "https://open.feishu.cn/open-apis/bot/v2/hook/2f0c-49e1-9d11",
	  "https://open.feishu.cn/open-apis/bot/v2/hook/***" },
	{ "https://open.larksuite.com/open-apis/bot/v2/hook/tok/x?a=1",
	  "https://open.larksuite.com/open-apis/bot/v2/hook/***/x?a=***" },
	{ "https://user:pass@hooks.example.com:8443/in#frag",
	  "https://***@hooks.example.com:8443/in#***" },
	{ "http://127.0.0.1:9099/hooks/hr", "http://127.0.0.1:9099/hooks/hr" },
	{ "http://h/p?token", "http://h/p?***" },
	{ "http://h/p?", "http://h/p?" },
	{ "http://h?a=1&&b=", "http://h?a=***&&b=***" },
	{ "https://open.feishu.cn/open-apis/bot/v2/hook/",
	  "https://open.feishu.cn/open-apis/bot/v2/hook/" },
	{ "not a url", "***" },
};

static void
test_webhook_redact_url_hides_keys_and_tokens(void **state)
{
	char out[256];
	size_t i;

	for (i = 0; i < sizeof redactions / sizeof redactions[0]; i++) {
		webhook_redact_url(redactions[i][0], out, sizeof out);
		assert_string_equal(out, redactions[i][1]);
	}
	/* Cut to fit, never past the buffer. */
	webhook_redact_url(redactions[0][0], out, 12);
	assert_string_equal(out, "https://qya");
	webhook_redact_url(redactions[0][0], out, 1);
	assert_string_equal(out, "");
}

static void
test_webhook_format_names(void **state)
{
	static const char *const names[] = { "standard", "wecom", "dingtalk",
	    "feishu" };
	const struct webhook_backend *found[4];
	size_t i, j;

	for (i = 0; i < 4; i++) {
		found[i] = webhook_backend_find(names[i]);
		assert_non_null(found[i]);
		assert_string_equal(found[i]->name, names[i]);
		for (j = 0; j < i; j++)
			assert_ptr_not_equal(found[i], found[j]);
	}
	assert_null(webhook_backend_find("lark"));
	assert_null(webhook_backend_find(NULL));
	assert_string_equal(webhook_verdict_name(WEBHOOK_GONE), "gone");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_backend_table_is_the_one_place),
		cmocka_unit_test(test_webhook_backends_say_what_their_endpoint_takes),
		cmocka_unit_test(test_webhook_standard_signature_matches_the_published_vector),
		cmocka_unit_test(test_webhook_backend_hmac_keeps_no_key_between_signatures),
		cmocka_unit_test(test_webhook_backend_hmac_kept_keys_sign_as_one_shot),
		cmocka_unit_test(test_webhook_robot_signatures_match_python),
		cmocka_unit_test(test_webhook_id_is_msg_and_the_delivery_id),
		cmocka_unit_test(test_webhook_standard_body_headers_and_signature),
		cmocka_unit_test(test_webhook_wecom_markdown_names_what_to_act_on),
		cmocka_unit_test(
		    test_webhook_wecom_shows_an_officers_markup_as_text),
		cmocka_unit_test(
		    test_webhook_dingtalk_shows_an_officers_markup_as_text),
		cmocka_unit_test(
		    test_webhook_feishu_shows_an_officers_markup_as_text),
		cmocka_unit_test(test_webhook_events_have_chinese_names),
		cmocka_unit_test(test_webhook_trend_alert_markdown),
		cmocka_unit_test(test_webhook_dingtalk_signs_in_the_query),
		cmocka_unit_test(test_webhook_feishu_signs_in_the_body),
		cmocka_unit_test(test_webhook_wecom_cuts_chinese_at_4096_bytes_keeping_the_link),
		cmocka_unit_test(test_webhook_dingtalk_and_feishu_cut_at_20000_bytes),
		cmocka_unit_test(test_utf8_prefix_never_splits_a_character),
		cmocka_unit_test(test_webhook_a_burst_merges_into_one_chat_message),
		cmocka_unit_test(test_webhook_build_refuses_what_cannot_be_sent),
		cmocka_unit_test(test_webhook_every_verdict),
		cmocka_unit_test(test_webhook_network_errors_keep_their_text),
		cmocka_unit_test(test_webhook_retry_after_seconds_and_dates),
		cmocka_unit_test(test_webhook_schedule_with_jitter_and_exhaustion),
		cmocka_unit_test(test_webhook_redact_url_hides_keys_and_tokens),
		cmocka_unit_test(test_webhook_format_names),
	};

	/* A fixed zone without tzdata: China Standard Time. */
	setenv("TZ", "CST-8", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
