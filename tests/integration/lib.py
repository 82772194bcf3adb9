"""Plumbing for the liaisond integration tests: processes, HTTP, Redis.

Everything here talks to real processes: a private redis-server, liaisond and
liaisonctl, and the local sinks standing in for the departments' webhooks and
the mail server.  No test library beyond pytest and python3-redis is needed
(HTTP is spoken with http.client; the SMTP sink needs python3-aiosmtpd, and
imports it only when started).

What the tests do with a running stack (report, act on tasks and issues, read
them back) is in flow.py, built on this module.
"""

import contextlib
import datetime
import email
import email.policy
import hashlib
import http.client
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import zoneinfo

import redis

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIAISOND = os.path.abspath(os.environ.get("LIAISOND", os.path.join(REPO, "liaisond")))
LIAISONCTL = os.path.abspath(os.environ.get("LIAISONCTL", os.path.join(REPO, "liaisonctl")))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
ROSTER_FILE = os.path.join(REPO, "etc", "roster.json")
CALENDAR_FILE = os.path.join(REPO, "etc", "holidays-cn.txt")
PREFIX = "liaison:"
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

# Sanitizer reports that fail a test whatever the exit status was.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# O001 is kept for requests that must fail: it never gets a stored report.
FAIL_OFFICER = "O001"

ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?[+-]\d\d:\d\d$")
TOKEN_RE = re.compile(r"^lt_[A-Za-z0-9_-]{22,}$")


class Deadline:
    """Poll with a deadline instead of sleeping a fixed time."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def expired(self):
        return time.monotonic() >= self.end

    def left(self):
        return max(0.0, self.end - time.monotonic())


def wait_for(pred, timeout, interval=0.05, what="condition"):
    d = Deadline(timeout)
    last = None
    while True:
        try:
            last = pred()
        except Exception as e:  # noqa: BLE001 - polled predicates may fail while starting
            last = e
            if not isinstance(e, (OSError, http.client.HTTPException, redis.RedisError)):
                raise
        else:
            if last:
                return last
        if d.expired():
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Roster, credit codes, periods, text


def load_roster(path=ROSTER_FILE):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check(code17):
    s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code17, USCC_WEIGHTS))
    v = 31 - s % 31
    return USCC_ALPHABET[0 if v == 31 else v]


def uscc_make(rng=random):
    body = "91340800" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check(body)


def uscc_corrupt(code):
    """The same code with a wrong check character."""
    good = code[17]
    bad = next(c for c in USCC_ALPHABET if c != good)
    return code[:17] + bad


def uscc_unknown(roster, rng=random):
    """A valid credit code of no enterprise in roster."""
    known = {e["id"] for e in roster["enterprises"]}
    while True:
        c = uscc_make(rng)
        if c not in known:
            return c


def period_of(dt):
    dt = dt.astimezone(TZ)
    return "%d-%02d-%d" % (dt.year, dt.month, 1 if dt.day <= 15 else 2)


def current_period():
    return period_of(datetime.datetime.now(datetime.timezone.utc))


def period_shift(p, n):
    """The period n half-months after (n < 0: before) period p."""
    y, m, h = (int(x) for x in p.split("-"))
    idx = (y * 12 + (m - 1)) * 2 + (h - 1) + n
    y, rest = divmod(idx, 24)
    m, h = divmod(rest, 2)
    return "%d-%02d-%d" % (y, m + 1, h + 1)


def iso_week(date):
    y, w, _ = date.isocalendar()
    return "%04d-W%02d" % (y, w)


def this_week():
    """The ISO week of today in Asia/Shanghai, e.g. 2026-W07."""
    return iso_week(datetime.datetime.now(TZ).date())


def last_week():
    return iso_week(datetime.datetime.now(TZ).date() - datetime.timedelta(days=7))


def _keyword_chars(roster):
    chars = set()
    for t in roster["topics"]:
        for k in t["keywords"]:
            chars.update(k)
        chars.update(t["name"])
    return chars


_SAFE_CHARS = None


def safe_text(n, rng=random):
    """n random CJK characters sharing none with any topic keyword, so the
    text routes nowhere by keyword and is unlike any other text (no 'common')."""
    global _SAFE_CHARS
    if _SAFE_CHARS is None:
        banned = _keyword_chars(load_roster())
        _SAFE_CHARS = [chr(c) for c in range(0x4E00, 0x9FA5) if chr(c) not in banned]
    return "".join(rng.choice(_SAFE_CHARS) for _ in range(n))


def new_key():
    return "k-" + os.urandom(12).hex()


# ---------------------------------------------------------------------------
# HTTP


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Resp %d %s %r>" % (self.status, self.headers.get("content-type"), self.body[:600])


def request(port, method, path, body=None, token=None, headers=None,
            ctype="application/json", timeout=15, auth=None):
    """One request on a fresh connection. body: bytes, str or a JSON-able object.
    ctype=None sends no Content-Type. auth overrides the Authorization header."""
    h = {}
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, ensure_ascii=False)
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and ctype is not None:
        h["Content-Type"] = ctype
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if auth is not None:
        h["Authorization"] = auth
    if headers:
        h.update(headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("POST", "PUT"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.getheaders(), data)
    finally:
        conn.close()


def assert_error(resp, status, code, field=None):
    """resp is a JSON error {"error":{"code","message"[,"field"]}} with this status."""
    assert resp.status == status, "expected %d %s, got %r" % (status, code, resp)
    ct = resp.header("content-type") or ""
    assert ct.startswith("application/json"), "error without JSON content type: %r" % resp
    doc = resp.json()
    assert isinstance(doc, dict) and isinstance(doc.get("error"), dict), resp
    err = doc["error"]
    assert err.get("code") == code, "expected code %s, got %r" % (code, resp)
    assert isinstance(err.get("message"), str) and err["message"], resp
    if field is not None:
        assert err.get("field") == field, "expected field %s, got %r" % (field, resp)
    return err


_METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?\d+)?$')
_METRIC_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text (GET /metrics) as [(name, {label: value}, float)];
    fails on any line that is not in the format."""
    samples = []
    for ln in text.splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        m = _METRIC_LINE.match(ln)
        assert m, "not Prometheus text format: %r" % ln
        labels = dict(_METRIC_LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def metric(samples, name, **labels):
    """The sum of the series of name whose labels include these (0 when none)."""
    return sum(v for n, lab, v in samples if n == name and all(lab.get(k) == w for k, w in labels.items()))


def metric_series(samples, name, **labels):
    """The value of the one series name{labels} with exactly these labels, or
    None when there is no such series."""
    vals = [v for n, lab, v in samples if n == name and lab == labels]
    assert len(vals) <= 1, (name, labels, vals)
    return vals[0] if vals else None


def histogram(samples, name, **labels):
    """The histogram series name{labels} as (count, sum, {le: cumulative}),
    checked to follow the Prometheus convention: cumulative buckets that never
    fall, a +Inf bucket equal to _count. None when there is no such series."""
    buckets = {lab["le"]: v for n, lab, v in samples if n == name + "_bucket"
               and {k: w for k, w in lab.items() if k != "le"} == labels}
    if not buckets:
        return None
    count = metric_series(samples, name + "_count", **labels)
    total = metric_series(samples, name + "_sum", **labels)
    bounds = sorted(buckets, key=lambda le: float("inf") if le == "+Inf" else float(le))
    values = [buckets[b] for b in bounds]
    assert bounds[-1] == "+Inf", bounds
    assert values == sorted(values), (name, labels, buckets)
    assert values[-1] == count and total is not None and total >= 0, (name, labels, count, total)
    return count, total, buckets


# ---------------------------------------------------------------------------
# Redis state

# Keys written by background machinery (webhook delivery, digests, locks).
# They may change at any time, so the before/after comparison leaves them out.
# snapshot: the frozen ledgers (issue 16), written by a timer whenever a period's day comes
# trend:day: the daily trend pass's once-a-day claim (SET NX), written by a timer
BACKGROUND_RE = re.compile(r"(outbox|deliver|webhook|lock|lease|leader|heartbeat|digest|worker|instance|node|mail"
                           r"|snapshot|trend:day)")


# Each key's type, its value in a canonical form (hash fields, set members
# and stream entry fields sorted) and whether it has a TTL, read inside
# Redis in one call: Python reading three replies per key made the
# snapshot most of the time of the tests that take one per request.
_SNAPSHOT_LUA = """
local function sorted_pairs(flat)
  local out = {}
  for i = 1, #flat, 2 do out[#out + 1] = {flat[i], flat[i + 1]} end
  table.sort(out, function(a, b) return a[1] < b[1] end)
  return out
end
local out = {}
for _, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k).ok
  local v
  if t == 'string' then v = redis.call('GET', k)
  elseif t == 'hash' then v = sorted_pairs(redis.call('HGETALL', k))
  elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
  elseif t == 'set' then v = redis.call('SMEMBERS', k); table.sort(v)
  elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'stream' then
    -- entries only: consumer-group bookkeeping changes as workers read
    v = {}
    for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do
      v[#v + 1] = {e[1], sorted_pairs(e[2])}
    end
  elseif t ~= 'none' then v = redis.call('DUMP', k)
  end
  out[#out + 1] = t
  out[#out + 1] = v == nil and '' or cjson.encode(v)
  out[#out + 1] = redis.call('TTL', k) >= 0 and 1 or 0
end
return out
"""


def redis_snapshot(r, ignore=BACKGROUND_RE):
    """{key: (type, canonical value, has TTL)} for every key not matching ignore."""
    keys = [k for k in r.scan_iter(count=1000)
            if ignore is None or not ignore.search(k.decode("utf-8", "replace"))]
    if not keys:
        return {}
    got = r.eval(_SNAPSHOT_LUA, len(keys), *keys)
    return {key.decode("utf-8", "replace"): (got[3 * i].decode(), got[3 * i + 1], got[3 * i + 2] == 1)
            for i, key in enumerate(keys) if got[3 * i] != b"none"}


def stable_snapshot(r, timeout=5):
    """A snapshot taken once two consecutive ones agree (the daemon is idle)."""
    prev = redis_snapshot(r)
    d = Deadline(timeout)
    while True:
        time.sleep(0.05)
        cur = redis_snapshot(r)
        if cur == prev or d.expired():
            return cur
        prev = cur


def snapshot_diff(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append("%s: %r -> %r" % (k, a.get(k, "<absent>"), b.get(k, "<absent>")))
    return "\n".join(x[:400] for x in out[:20])


def assert_unchanged(before, after):
    assert before == after, "Redis changed by a failed request:\n" + snapshot_diff(before, after)


def _hash_ids(r, kind, prefix):
    """Ids X of the hash keys P kind:X (not P kind:X:something)."""
    out = set()
    head = prefix + kind + ":"
    for key in r.scan_iter(match=head + "*", count=1000):
        ident = key.decode()[len(head):]
        if ":" not in ident and r.type(key) == b"hash":
            out.add(ident)
    return out


def report_keys(r, prefix=PREFIX):
    """Ids of all stored reports (hash keys P report:{R})."""
    return _hash_ids(r, "report", prefix)


def issue_keys(r, prefix=PREFIX):
    """Ids of all stored issues (hash keys P issue:{I})."""
    return _hash_ids(r, "issue", prefix)


def stream_tasks(r, dept, prefix=PREFIX):
    return [f.get(b"task", b"").decode() for _, f in r.xrange(prefix + "queue:" + dept)]


# ---------------------------------------------------------------------------
# Processes


def check_sanitizer_text(text, who):
    for mark in SANITIZER_MARKS:
        assert mark not in text, "%s reported %r:\n%s" % (who, mark, text[-4000:])


def liaisonctl(*args, check=True):
    """Run liaisonctl with these arguments; its stderr must carry no sanitizer
    report and, with check, it must exit 0. Returns the CompletedProcess (text)."""
    p = subprocess.run([LIAISONCTL] + list(args), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    check_sanitizer_text(p.stderr, "liaisonctl")
    if check:
        assert p.returncode == 0, "liaisonctl %s exited %d: %s %s" % (args, p.returncode, p.stdout, p.stderr)
    return p


class RedisServer:
    """A redis-server on loopback with AOF (appendfsync always) in
    workdir/name; extra: more arguments (e.g. ["--replicaof", host, port])."""

    def __init__(self, workdir, port=None, name="redis", extra=()):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.log = os.path.join(self.dir, "redis.log")
        self.extra = list(extra)

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir,
             "--daemonize", "no", "--protected-mode", "no", "--logfile", ""] + self.extra,
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        c = self.client()
        wait_for(lambda: c.ping(), 10, what="redis-server on port %d" % self.port)
        # wait until the AOF is loaded (PING answers LOADING errors before)
        wait_for(lambda: c.info("persistence").get("loading") == 0, 10, what="redis loading")
        return self

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class RedisSentinel(RedisServer):
    """A Redis Sentinel on loopback watching the primary at primary_port under
    the name master, with short timeouts (down after down_ms) for tests."""

    def __init__(self, workdir, name, master, primary_port, down_ms=1000, failover_ms=2000, quorum=2):
        super().__init__(workdir, name=name)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\n"
                    "sentinel monitor %s 127.0.0.1 %d %d\n"
                    "sentinel down-after-milliseconds %s %d\n"
                    "sentinel failover-timeout %s %d\n"
                    "sentinel parallel-syncs %s 2\n"
                    % (self.port, self.dir, master, primary_port, quorum, master, down_ms, master,
                       failover_ms, master))

    def start(self):
        logf = open(self.log, "ab")
        # the Sentinel rewrites its own file: it must be writable
        self.proc = subprocess.Popen([REDIS_SERVER, self.conf, "--sentinel"], stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        c = self.client()
        wait_for(lambda: c.ping(), 10, what="redis-sentinel on port %d" % self.port)
        return self


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128     # the default 5 drops a burst of connects


def serve_http(handler):
    """A threading HTTP server for handler (a BaseHTTPRequestHandler class) on
    a free loopback port, serving in a daemon thread; shutdown() and
    server_close() stop it."""
    server = _HttpServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class WebhookSink:
    """A local HTTP endpoint standing in for the departments' webhooks: it
    answers 200 with a body every robot format accepts."""

    def __init__(self):
        self.received = []

        sink = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                sink.received.append((self.path, self.rfile.read(n)))
                body = b'{"errcode":0,"code":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = serve_http(H)
        self.port = self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class _SmtpHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refuse:
            with self.sink.lock:
                self.sink.refused.append(address)
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        with self.sink.lock:
            self.sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                       "raw": envelope.content, "msg": msg,
                                       "tls": server.transport.get_extra_info("ssl_object") is not None,
                                       "login": login})
        return "250 Message accepted"


class SmtpSink:
    """A real SMTP server on loopback for the digest tests: aiosmtpd's
    Controller running in the pytest process (Debian's python3-aiosmtpd).  It
    keeps every message it accepts, parsed with the email package, and answers
    550 to the recipients in `refuse`.  stop() and start() again on the same
    port stand for an SMTP server that is down for a while.  Keyword arguments
    go to aiosmtpd's Controller: tls_context / require_starttls (STARTTLS),
    ssl_context (smtps), authenticator / auth_required (AUTH); each message
    records whether it came over TLS and the login it was sent under.  As a
    context manager it is stopped at the end."""

    def __init__(self, port=None, start=True, refuse=(), **controller):
        self.port = port or free_port()
        self.controller_kw = controller
        self.lock = threading.Lock()
        self.messages = []
        self.refused = []
        self.refuse = set(refuse)
        self.controller = None
        if start:
            self.start()

    def start(self):
        from aiosmtpd.controller import Controller    # only the digest tests need aiosmtpd
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port,
                                     **self.controller_kw)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def to(self, address):
        """The messages whose envelope went to address."""
        return [m for m in self.snapshot() if address in m["to"]]

    def wait(self, n, timeout=20):
        """Wait until n messages arrived; returns all of them."""
        wait_for(lambda: len(self.snapshot()) >= n, timeout, what="%d mails" % n)
        return self.snapshot()


def write_roster(path, roster):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(roster, f, ensure_ascii=False, indent=1)


def local_roster(sink_port=None):
    """The repo's roster with webhook URLs pointed at our own sink (or removed)."""
    roster = load_roster()
    for d in roster["departments"]:
        if "webhook" in d:
            if sink_port is None:
                del d["webhook"]
            else:
                d["webhook"]["url"] = "http://127.0.0.1:%d/hooks/%s" % (sink_port, d["id"])
    return roster


CONF_TEMPLATE = """\
[server]
listen = 127.0.0.1:{port}
public_url = http://127.0.0.1:{port}
metrics_public = yes
[redis]
host = 127.0.0.1
port = {redis_port}
prefix = {prefix}
timeout_ms = 1000
[roster]
file = roster.json
[deadlines]
calendar = {calendar}
[smtp]
url = smtp://127.0.0.1:{smtp_port}
from = liaisond@example.gov.cn
[limits]
max_body = {max_body}
request_timeout_ms = 2000
idle_timeout = {idle}
max_connections = 256
rate_per_minute = {rate}
max_items = 50
max_title = 100
max_detail = 2000
idempotency_ttl = 604800
list_limit = 500
[log]
level = info
"""


def add_conf(text, conf):
    """text (an INI file) with the keys of conf ({section: {key: value}}) added:
    under the section's header when the text has it, else in a new section."""
    for section, keys in (conf or {}).items():
        lines = "".join("%s = %s\n" % (k, v) for k, v in keys.items())
        header = "[%s]\n" % section
        if header in text:
            text = text.replace(header, header + lines, 1)
        else:
            text += header + lines
    return text


# The limits against abuse, loosened for tests that are not about them
# (every test comes from 127.0.0.1 and many share one stack); a conf given
# to Daemon overrides each.
ABUSE_LIMITS_OFF = {"items_per_period": 0, "sessions_per_token": 1000, "unknown_tokens_per_minute": 0,
                    "address_per_minute": 0, "connections_per_address": 0}


TEST_CLOCK_VAR = "LIAISOND_TEST_CLOCK"


def require_test_hooks():
    """Skip unless liaisond was configured with --enable-test-hooks (the
    build scripts/check runs these tests against is; a skip fails it)."""
    with open(LIAISOND, "rb") as f:
        if TEST_CLOCK_VAR.encode() not in f.read():
            import pytest
            pytest.skip("%s was built without --enable-test-hooks (no test clock)" % LIAISOND)


class TestClock:
    """The daemon's clock, moved by a file (LIAISOND_TEST_CLOCK, in a build
    with --enable-test-hooks): set(when) makes the daemon's now `when` (an
    aware datetime) at once, and it runs on from there as time does. The
    file is replaced whole, so the daemon never reads half of it."""

    __test__ = False              # not a pytest class

    def __init__(self, path):
        self.path = path
        self.offset_ms = 0
        self._write()

    def _write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % self.offset_ms)
        os.replace(tmp, self.path)

    def set(self, when):
        self.offset_ms = round((when.timestamp() - time.time()) * 1000)
        self._write()

    def now(self):
        """The daemon's now, as an aware datetime in the zone."""
        return datetime.datetime.fromtimestamp(time.time() + self.offset_ms / 1000, TZ)


class Daemon:
    """liaisond with its config dir; the config file is CONF in that dir.
    conf: extra keys, e.g. {"deadlines": {"claim_seconds": 2}} (see add_conf).
    use_test_clock() gives it a TestClock (.clock) from its next start on."""

    def __init__(self, workdir, redis_port, rate=100000, max_body=65536, sink_port=None, port=None, idle=10,
                 conf=None, smtp_port=None, prefix=PREFIX):
        self.dir = os.path.join(workdir, "liaisond")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.redis_port = redis_port
        self.conf = os.path.join(self.dir, "liaisond.conf")
        self.roster_path = os.path.join(self.dir, "roster.json")
        self.roster = local_roster(sink_port)
        write_roster(self.roster_path, self.roster)
        conf = dict(conf or {})
        conf["limits"] = dict(ABUSE_LIMITS_OFF, **conf.get("limits", {}))
        with open(self.conf, "w") as f:
            f.write(add_conf(CONF_TEMPLATE.format(port=self.port, redis_port=redis_port, prefix=prefix,
                                                  smtp_port=smtp_port or free_port(), max_body=max_body,
                                                  rate=rate,
                                                  idle=idle, calendar=CALENDAR_FILE), conf))
        self.proc = None
        self.runs = 0
        self.stderr_path = None
        self.checked = False
        self.clock = None
        self.env = None

    def use_test_clock(self):
        require_test_hooks()
        self.clock = TestClock(os.path.join(self.dir, "test-clock"))
        self.env = dict(os.environ, **{TEST_CLOCK_VAR: self.clock.path})
        return self.clock

    def start(self, wait=True):
        self.runs += 1
        self.stderr_path = os.path.join(self.dir, "stderr.%d.log" % self.runs)
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([LIAISOND, "-f", "-c", self.conf], stdout=err, stderr=err,
                                     stdin=subprocess.DEVNULL, cwd=self.dir, env=self.env)
        err.close()
        if wait:
            self.wait_healthy()
        return self

    def stderr(self):
        if not self.stderr_path:
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout=15):
        def ok():
            if not self.alive():
                raise AssertionError("liaisond exited with %s while starting:\n%s"
                                     % (self.proc.returncode, self.stderr()[-3000:]))
            try:
                return request(self.port, "GET", "/healthz", timeout=2).status == 200
            except OSError:
                return False
        wait_for(ok, timeout, what="liaisond /healthz 200")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self):
        """SIGTERM; returns (exit status, stderr). Raises if it does not exit."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("liaisond did not exit within 20 s of SIGTERM:\n" + self.stderr()[-3000:])
        return self.proc.returncode, self.stderr()

    def stop_and_check(self):
        """SIGTERM; assert exit 0 and no sanitizer report."""
        if self.proc is None or self.checked:
            return
        self.checked = True
        was_alive = self.alive()
        rc, err = self.terminate()
        check_sanitizer_text(err, "liaisond")
        assert was_alive, "liaisond had already exited (status %s):\n%s" % (rc, err[-3000:])
        assert rc == 0, "liaisond exited %s on SIGTERM:\n%s" % (rc, err[-3000:])

    # -- convenience -------------------------------------------------------

    def ctl(self, *args, check=True):
        return liaisonctl("-c", self.conf, *args, check=check)

    def token(self, role, ident):
        p = self.ctl("token", "issue", role, ident)
        lines = p.stdout.splitlines()
        assert len(lines) == 1, "token issue printed %r" % p.stdout
        return lines[0].strip()

    def req(self, method, path, body=None, token=None, **kw):
        return request(self.port, method, path, body=body, token=token, **kw)

    def get(self, path, token=None, **kw):
        return request(self.port, "GET", path, token=token, **kw)

    def post(self, path, body, token=None, **kw):
        return request(self.port, "POST", path, body=body, token=token, **kw)

    def metrics(self):
        """GET /metrics, parsed (see parse_metrics)."""
        return parse_metrics(self.get("/metrics").body.decode())


def ctl_conf(d, name, failover_wait_ms):
    """A copy of daemon d's config, next to its roster, for liaisonctl to
    wait out a failover for failover_wait_ms ([redis]); its path."""
    with open(d.conf) as f:
        text = f.read()
    conf = os.path.join(d.dir, name + ".conf")
    with open(conf, "w") as f:
        f.write(text.replace("[redis]\n", "[redis]\nfailover_wait_ms = %d\n" % failover_wait_ms, 1))
    return conf


def stop_daemons(daemons):
    """Stop each daemon with stop_and_check, killing it whatever happens;
    the first problem one had (an AssertionError), or None."""
    problem = None
    for d in daemons:
        try:
            d.stop_and_check()
        except AssertionError as e:
            problem = problem or e
        finally:
            d.kill()
    return problem


class Stack:
    """A private redis-server plus one liaisond on it, and the sink its
    departments' webhooks point at (a WebhookSink unless sink= gives another
    object with .port and .close()).  smtp_port: where [smtp] url points.
    start=False leaves liaisond to start() once the config or roster is
    changed.  As a context manager it is closed at the end, and a failed
    close (liaisond not exiting 0, a sanitizer report) fails the block."""

    def __init__(self, workdir, rate=100000, max_body=65536, start=True, idle=10, conf=None, sink=None,
                 smtp_port=None):
        self.workdir = workdir
        self.sink = sink if sink is not None else WebhookSink()
        self.redis = RedisServer(workdir)
        try:
            self.redis.start()
        except BaseException:
            self.redis.stop()
            self.sink.close()
            raise
        self.r = self.redis.client()
        self.d = Daemon(workdir, self.redis.port, rate=rate, max_body=max_body, sink_port=self.sink.port,
                        idle=idle, conf=conf, smtp_port=smtp_port)
        self.roster = self.d.roster
        self._tokens = {}
        if start:
            self.start()

    def start(self):
        """Start liaisond and wait for it; if it does not come up, stop
        everything and raise."""
        try:
            self.d.start()
        except BaseException:
            self.d.kill()
            self.redis.stop()
            self.sink.close()
            raise
        return self

    def token(self, role, ident):
        if (role, ident) not in self._tokens:
            self._tokens[(role, ident)] = self.d.token(role, ident)
        return self._tokens[(role, ident)]

    def officer(self, oid):
        return next(o for o in self.roster["officers"] if o["id"] == oid)

    def close(self):
        """Stop everything; return the AssertionError to raise, if any."""
        problem = None
        try:
            self.d.stop_and_check()
        except AssertionError as e:
            problem = e
        finally:
            self.d.kill()
            self.redis.stop()
            self.sink.close()
        return problem

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        problem = self.close()
        if problem and exc_type is None:
            raise problem

    @contextlib.contextmanager
    def guard(self):
        """Around one test on a stack that outlives it: liaisond runs before,
        still runs after, and has printed no sanitizer report."""
        assert self.d.alive(), "liaisond is not running:\n" + self.d.stderr()[-3000:]
        yield self
        assert self.d.alive(), "liaisond exited during the test (status %s):\n%s" % (
            self.d.proc.returncode, self.d.stderr()[-3000:])
        check_sanitizer_text(self.d.stderr(), "liaisond")


def item(enterprise, topic="hiring", title=None, detail=None, difficult=None, rng=random):
    it = {"enterprise": enterprise, "topic": topic,
          "title": title if title is not None else safe_text(12, rng)}
    it["detail"] = detail if detail is not None else safe_text(30, rng)
    if difficult is not None:
        it["difficult"] = difficult
    return it


def token_sha(tok):
    return hashlib.sha256(tok.encode()).hexdigest()
