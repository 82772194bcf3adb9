-- submit.lua -- store one officer's report atomically: the report, its
-- issues, one task per routed department (appended to that department's
-- queue stream), each issue's history, the outbox entries for webhooks, the
-- indexes, and the Idempotency-Key's answer. Redis runs a script as one
-- transaction, so either all of it is written or none of it is.
--
-- ARGV: prefix, payload (JSON from report.c via api_reports.c), body hash,
-- idempotency key ('' for none), key lifetime in seconds.
-- Returns {'created', response} | {'replay', response} | {'conflict', ''}.
--
-- Keys (P = prefix): P seq (hash of id counters), P report:R, P issue:I,
-- P issue:I:history (list of JSON), P task:T, P queue:DEPT (stream),
-- P outbox (stream), P deadlines (sorted set of 'claim:T' by due ms, for
-- the escalation timer), P reports:PERIOD, P officer:O:reports, P reported:PERIOD,
-- P issues, P issues:period:PERIOD, P issues:dept:DEPT, P issues:officer:O,
-- P issues:category:CAT, P issues:state:STATE (sorted sets by creation ms),
-- P idem:O:KEY. The counters in P seq double as the totals in /metrics.
local P = ARGV[1]
local req = cjson.decode(ARGV[2])
local body_hash = ARGV[3]
local idem = ARGV[4]
local idem_key = P .. 'idem:' .. req.officer .. ':' .. idem

if idem ~= '' then
  local prev = redis.call('HMGET', idem_key, 'body', 'response')
  if prev[1] then
    if prev[1] == body_hash then
      return {'replay', prev[2]}
    end
    return {'conflict', ''}
  end
end

local now = req.now
local function enc(v) return cjson.encode(v) end
local function entry(actor, event, reason)
  return enc({at = now, actor = actor, event = event, reason = reason})
end

local report = 'R' .. redis.call('HINCRBY', P .. 'seq', 'report', 1)
local issue_ids = {}
local issue_json = {}

for _, it in ipairs(req.items) do
  local issue = 'I' .. redis.call('HINCRBY', P .. 'seq', 'issue', 1)
  local task_ids = {}
  local task_json = {}
  for _, dept in ipairs(it.departments) do
    local task = 'T' .. redis.call('HINCRBY', P .. 'seq', 'task', 1)
    local entry = redis.call('XADD', P .. 'queue:' .. dept, '*', 'task', task)
    redis.call('HSET', P .. 'task:' .. task, 'id', task, 'department', dept,
      'state', 'queued', 'claimant', '', 'issues', enc({issue}),
      'created', now, 'deadline', req.due.claim, 'due_claim', req.due.claim,
      'due_respond', req.due.respond, 'due_resolve', req.due.resolve,
      'response', '', 'resolution', '', 'entry', entry)
    redis.call('ZADD', P .. 'deadlines', req.due.claim, 'claim:' .. task)
    redis.call('XADD', P .. 'outbox', '*', 'event', 'task.queued',
      'task', task, 'department', dept, 'issue', issue, 'at', now)
    redis.call('ZADD', P .. 'issues:dept:' .. dept, now, issue)
    task_ids[#task_ids + 1] = task
    task_json[#task_json + 1] = '{"id":' .. enc(task) .. ',"department":' ..
      enc(dept) .. ',"state":"queued"}'
  end
  redis.call('HSET', P .. 'issue:' .. issue, 'id', issue, 'report', report,
    'officer', req.officer, 'enterprise', it.enterprise, 'topic', it.topic,
    'title', it.title, 'detail', it.detail,
    'difficult', it.difficult and '1' or '0', 'period', req.period,
    'category', it.category, 'category_by', 'rule', 'state', 'queued',
    'departments', enc(it.departments), 'tasks', enc(task_ids),
    'group', '', 'created', now)
  local history = {
    entry(req.actor, 'created', 'reported for period ' .. req.period),
    entry('system', 'routed', it.route_reason),
    entry('system', 'classified', it.category .. ': ' .. it.reason)}
  for i, task in ipairs(task_ids) do
    history[#history + 1] = entry('system', 'queued', 'task ' .. task ..
      ' queued for ' .. it.departments[i])
  end
  redis.call('RPUSH', P .. 'issue:' .. issue .. ':history', unpack(history))
  for _, index in ipairs({'issues', 'issues:period:' .. req.period,
      'issues:officer:' .. req.officer, 'issues:category:' .. it.category,
      'issues:state:queued'}) do
    redis.call('ZADD', P .. index, now, issue)
  end
  issue_ids[#issue_ids + 1] = issue
  issue_json[#issue_json + 1] = '{"id":' .. enc(issue) .. ',"category":' ..
    enc(it.category) .. ',"departments":' .. enc(it.departments) ..
    ',"state":"queued","tasks":[' .. table.concat(task_json, ',') .. ']}'
end

redis.call('HSET', P .. 'report:' .. report, 'id', report,
  'officer', req.officer, 'period', req.period, 'late', req.late and '1' or '0',
  'created', now, 'issues', #issue_ids > 0 and enc(issue_ids) or '[]')
redis.call('ZADD', P .. 'reports:' .. req.period, now, report)
redis.call('ZADD', P .. 'officer:' .. req.officer .. ':reports', now, report)
redis.call('SADD', P .. 'reported:' .. req.period, req.officer)

local response = '{"report":' .. enc(report) .. ',"period":' ..
  enc(req.period) .. ',"issues":[' .. table.concat(issue_json, ',') .. ']}'
if idem ~= '' then
  redis.call('HSET', idem_key, 'body', body_hash, 'response', response,
    'report', report)
  redis.call('EXPIRE', idem_key, tonumber(ARGV[5]))
end
return {'created', response}
