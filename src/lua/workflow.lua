-- workflow.lua -- every change to reports, issues and tasks, one action per
-- call. Redis runs a script as one transaction: an action writes all of its
-- changes (state, indexes, history, outbox) or none of them, and two callers
-- can never act on the same task at once.
--
-- ARGV: prefix, action, payload (JSON), then action-specific arguments.
-- Returns {'ok', ...} or {'not_found'|'forbidden'|'conflict', message}.
--
-- Why Lua and sorted sets rather than stream consumer groups for the claim
-- queue: a task can be claimed by id as well as "oldest first", returned,
-- re-routed and reopened back into the queue. A consumer group hands out
-- entries once, in append order, and cannot take an entry back; a sorted set
-- of queued task ids by creation time (P open:DEPT) serves both kinds of
-- claim, and ZREM inside the script makes each claim exclusive. The stream
-- P queue:DEPT holds an entry for each routed task until the task first
-- leaves the queue (claimed, merged, withdrawn): then it is deleted, so the
-- stream does not grow with time (SPEC §14).
--
-- Keys (P = prefix):
--   P seq                  hash of id counters (report, issue, task, group);
--                          they double as the totals in /metrics
--   P report:R             hash; P reports:PERIOD, P officer:O:reports
--                          sorted sets; P reported:PERIOD set of officers
--   P issue:I              hash (tasks: the current tasks; returned_tasks:
--                          those returned before a re-route, kept in the
--                          record; ratings: {dept: satisfaction});
--                          P issue:I:history list of JSON entries
--   P issues, P issues:period:PERIOD, P issues:dept:D, P issues:officer:O,
--   P issues:category:C, P issues:state:S
--                          sorted sets of issue ids by creation ms;
--   P issues:resolved      issue ids by when a task of theirs was last
--                          resolved (the digests' "resolved this week")
--   P task:T               hash; P queue:D stream (routed, unclaimed tasks);
--                          P open:D sorted set of queued task ids
--   P work:D, P done:D     sorted sets of D's tasks in work (claimed,
--                          responded) by creation, and of those it
--                          resolved by when: /dept's lists, however old
--                          their issues (track_work)
--   P group:G              hash of a common group (topic, members, tasks)
--   P triage               sorted set of returned issues awaiting an admin
--   P deadlines            sorted set of 'STAGE:T' by due ms (stage claim,
--                          respond or resolve), read by the escalation timer
--   P outbox               stream of events for the webhooks
--   P notify:pending:O     list of JSON {at, event, issue, task}: what
--                          officer O is to be told of, in one mail
--   P notify:due           sorted set: officers by when their mail is due
--                          (notify.lua sends it; see notify.c)
--   P idem:O:KEY           hash: body hash and first answer of a report
--   P extensions:pending   sorted set of tasks with a 延期 request waiting,
--                          by request ms; P extensions:approved and
--                          P extensions:denied 'T:N' (the task's Nth
--                          request) by decision ms
--   P finished:E           sorted set of enterprise E's resolved or closed
--                          issues by when they were resolved (recurrence)
--   P snapshot:PERIOD      string: the period's ledger as frozen (JSON);
--                          P snapshots sorted set of periods by freeze ms
--   P items:PERIOD         hash: officer -> items reported in the period
--                          (the cap of req.items_cap)
--   P ledger:seq, P ledger:changed:PERIOD
--                          the ledger's change index (prelude.lua's
--                          ledger_flush): the issues whose rows changed,
--                          by the period's sequence; one member per issue
--
-- The script runs as a Redis Function where the server has them (store.c:
-- FUNCTION LOAD of the library embed.sh makes, then FCALL): its top level,
-- which makes some ninety functions, then runs once per load, not once a
-- call. main() is the call; it starts from nothing the last call left.
-- As a plain script (EVAL: liaisonctl, tests) its last line runs main().
local P, action, req, now

local common  -- defined below; used by submit
local recurrence  -- defined below (复发); used by submit
local RANK = {queued = 1, claimed = 2, responded = 3, resolved = 4}
local RANKED = {'queued', 'claimed', 'responded', 'resolved'}
-- The deadline stages and the state a task waits in during each come from
-- task.c with every payload (req.stages), like the steps themselves; the
-- category rules (when an issue becomes common or difficult, and the
-- reason its history gives) come from rules.c (req.rules). This script
-- applies them and states none.

-- ---- helpers: history, outbox, lists, indexes ----

-- key, hget, hwrite, decode_list, has and dispatch are prelude.lua's;
-- every hash is written through hwrite, so that dispatch records the
-- ledger rows an action changed (P ledger:changed:PERIOD).
local function enc(v) return cjson.encode(v) end

-- ---- writes held to the end of the call: one command a key ----

-- A group commit's reports (submit_batch) add to the same
-- indexes and counters. Their ZADDs and SADDs are gathered per key and
-- sent as one command each, their HINCRBYs summed per key and field, when
-- the call ends (dispatch's finish) or at later_flush: each command costs
-- Redis its call and its AOF record whatever its length. Code that reads,
-- or removes from, a key given to later calls later_flush first; a
-- counter's read adds later_owed.
local later_order, later_args, later_cmd = {}, {}, {}
local later_incr_order, later_incrs = {}, {}

-- redis.call(cmd, k, a, b) (b may be nil) at the end of the call, with
-- the other later writes to k (which must all be cmd).
local function later(cmd, k, a, b)
  local args = later_args[k]
  if not args then
    args = {}
    later_args[k], later_cmd[k] = args, cmd
    later_order[#later_order + 1] = k
  elseif later_cmd[k] ~= cmd then
    error('later: ' .. cmd .. ' after ' .. later_cmd[k] .. ' on ' .. k)
  end
  args[#args + 1] = a
  if b ~= nil then args[#args + 1] = b end
end

-- HINCRBY k field n at the end of the call.
local function later_incr(k, field, n)
  local f = later_incrs[k]
  if not f then
    f = {order = {}, by = {}}
    later_incrs[k] = f
    later_incr_order[#later_incr_order + 1] = k
  end
  if not f.by[field] then
    f.by[field] = 0
    f.order[#f.order + 1] = field
  end
  f.by[field] = f.by[field] + n
end

-- EXPIRE k seconds at the end of the call (the last one given wins).
local later_expires, later_expire_order = {}, {}
local function later_expire(k, seconds)
  if not later_expires[k] then
    later_expire_order[#later_expire_order + 1] = k
  end
  later_expires[k] = seconds
end

-- What later_incr still owes k's field.
local function later_owed(k, field)
  local f = later_incrs[k]
  return f and f.by[field] or 0
end

-- Send the held writes, in the order their keys were first given (a
-- replica replays the same commands), 1,000 arguments a command at most.
local function later_flush()
  for _, k in ipairs(later_order) do
    local args, cmd = later_args[k], later_cmd[k]
    for i = 1, #args, 1000 do
      redis.call(cmd, k, unpack(args, i, math.min(i + 999, #args)))
    end
  end
  for _, k in ipairs(later_incr_order) do
    local f = later_incrs[k]
    for _, field in ipairs(f.order) do
      redis.call('HINCRBY', k, field, f.by[field])
    end
  end
  for _, k in ipairs(later_expire_order) do
    redis.call('EXPIRE', k, later_expires[k])
  end
  later_order, later_args, later_cmd = {}, {}, {}
  later_incr_order, later_incrs = {}, {}
  later_expires, later_expire_order = {}, {}
end

-- The next number of P seq's counter field (report, issue, task, group):
-- the call's first from Redis, the others counted on and added at its end.
-- Nothing reads P seq during a call; every number is taken here.
local seq_last = {}
local function next_id(field)
  local n = seq_last[field]
  if n then
    n = n + 1
    later_incr(key('seq'), field, 1)
  else
    n = redis.call('HINCRBY', key('seq'), field, 1)
  end
  seq_last[field] = n
  return n
end

-- note: the person's own words, untouched (a response, a return's or a
-- reopen's reason, a route's reason), for the pages to show; reason is the
-- record's sentence.
-- While a report is stored (submit) the entries are held and each issue's
-- go in one RPUSH at its end (history_release): a report's issue gets four
-- or more entries, one command instead of each.
local held, held_order
local function history(issue, actor, event, reason, note)
  local entry = enc({at = now, actor = actor, event = event, reason = reason,
    note = note})
  if not held then
    redis.call('RPUSH', key('issue', issue, 'history'), entry)
    return
  end
  local list = held[issue]
  if not list then
    list = {}
    held[issue] = list
    held_order[#held_order + 1] = issue
  end
  list[#list + 1] = entry
end

local function history_hold() held, held_order = {}, {} end

local function history_release()
  local h, order = held, held_order or {}
  held, held_order = nil, nil
  for _, issue in ipairs(order) do
    redis.call('RPUSH', key('issue', issue, 'history'), unpack(h[issue]))
  end
end

local function outbox(event, task, dept, issue)
  redis.call('XADD', key('outbox'), '*', 'event', event, 'task', task,
    'department', dept, 'issue', issue, 'at', now)
end

-- Tell the issue's officer of event (req.notify from notify.c: the events
-- officers are told of and the batch). The first event of a batch sets
-- when the mail goes (NX); the others join it.
local function tell(issue, event, task)
  if not req.notify or not has(req.notify.events, event) then return end
  local officer = hget(key('issue', issue), 'officer')
  if not officer or officer == '' then return end
  redis.call('RPUSH', key('notify:pending', officer), enc({at = now,
    event = event, issue = issue, task = task}))
  redis.call('ZADD', key('notify:due'), 'NX', tonumber(now) +
    req.notify.batch_ms, officer)
end

local function encode_list(list)
  if #list == 0 then return '[]' end
  return enc(list)
end

local function index_move(prefix, issue, old, new, score)
  later_flush()   -- the issue's ZADD to the index may be held
  if old then redis.call('ZREM', key(prefix, old), issue) end
  redis.call('ZADD', key(prefix, new), score, issue)
end

-- ---- categories: the rules of req.rules ----

-- A category's place in req.rules.categories (weakest first); 0 if none.
local function category_rank(category)
  for i, c in ipairs(req.rules.categories) do
    if c == category then return i end
  end
  return 0
end

-- Set an issue's category. admin = true overrides and fixes it; a rule
-- (admin = nil) only ever raises it, and never changes an admin's choice.
local function set_category(issue, category, actor, reason, admin)
  local k = key('issue', issue)
  local old = hget(k, 'category')
  if admin then
    hwrite('HSET', k, 'category_by', 'admin')
  elseif hget(k, 'category_by') == 'admin' or
      category_rank(category) <= category_rank(old) then
    return
  end
  hwrite('HSET', k, 'category', category)
  index_move('issues:category', issue, old, category, hget(k, 'created'))
  history(issue, actor, 'classified', category .. ': ' .. reason)
end

-- Does count (departments, reopens, enterprises) reach the threshold of
-- rule (a key of req.rules)?
local function rule_reached(rule, count)
  return count >= req.rules[rule].at_least
end

-- Apply rule to issue: its category, with its reason formatted from ...
-- (the count, the stage, the group).
local function apply_rule(issue, rule, ...)
  local r = req.rules[rule]
  set_category(issue, r.category, 'system', string.format(r.reason, ...))
end

-- ---- an issue's state ----

-- Keep P finished:E, the enterprise's finished issues a new one may recur
-- (SPEC §12): in it while resolved (closed keeps it), out when reopened.
local function finished_track(k, issue, state)
  local ent = hget(k, 'enterprise')
  if state == 'resolved' then
    redis.call('ZADD', key('finished', ent), now, issue)
  else
    redis.call('ZREM', key('finished', ent), issue)
  end
end

-- An issue's state is the least advanced of its tasks, 'returned' while one
-- of them is returned; 'closed' stays until a reopen. Returns the change
-- ("queued -> claimed") for the caller's history entry, or nil.
local function update_state(issue)
  local k = key('issue', issue)
  local old = hget(k, 'state')
  if old == 'closed' then return nil end
  local least, returned = 5, false
  for _, t in ipairs(decode_list(hget(k, 'tasks'))) do
    local s = hget(key('task', t), 'state')
    if s == 'returned' then
      returned = true
    elseif RANK[s] and RANK[s] < least then
      least = RANK[s]
    end
  end
  local new = returned and 'returned' or RANKED[math.min(least, 4)]
  if new == old then return nil end
  hwrite('HSET', k, 'state', new)
  finished_track(k, issue, new)
  index_move('issues:state', issue, old, new, hget(k, 'created'))
  if new == 'returned' then
    redis.call('ZADD', key('triage'), now, issue)
  else
    redis.call('ZREM', key('triage'), issue)
  end
  return old .. ' -> ' .. new
end

-- A history reason with the issue's state change, if any, appended.
local function with_state(reason, change)
  if not change then return reason end
  return reason .. ' (issue ' .. change .. ')'
end

-- ---- tasks: deadlines and queues ----

local function set_deadline(task, stage, due)
  later_flush()   -- a new task's deadline may be held
  for s, _ in pairs(req.stages) do
    redis.call('ZREM', key('deadlines'), s .. ':' .. task)
  end
  if stage then
    redis.call('ZADD', key('deadlines'), due, stage .. ':' .. task)
    hwrite('HSET', key('task', task), 'deadline', due)
  else
    hwrite('HSET', key('task', task), 'deadline', '')
  end
end

-- Put a task (back) into its department's queue with fresh deadlines. The
-- queue is ordered by creation time, then by task number (tasks of one
-- report share a millisecond).
-- Take a task out of its department's queue, and its routing entry out of
-- the stream (gone already when it was queued before).
local function unqueue(task, dept)
  later_flush()   -- a new task's place in the queue may be held
  redis.call('ZREM', key('open', dept), task)
  local entry = hget(key('task', task), 'entry')
  if entry and entry ~= '' then
    redis.call('XDEL', key('queue', dept), entry)
  end
end

-- A task's state changed: keep its department's work and done lists.
local function track_work(task, dept, state)
  local tk = key('task', task)
  if state == 'claimed' or state == 'responded' then
    redis.call('ZADD', key('work', dept), hget(tk, 'created') or now, task)
  else
    redis.call('ZREM', key('work', dept), task)
  end
  if state == 'resolved' then
    redis.call('ZADD', key('done', dept), hget(tk, 'resolved_at') or now,
      task)
  else
    redis.call('ZREM', key('done', dept), task)
  end
end

-- A task's fields as it enters (or re-enters) its queue, flat for HSET:
-- one table made whole (a table grown field by field is remade as it grows).
local function queued_fields(due)
  return {'state', 'queued', 'claimant', '', 'overdue', '',
    'due_claim', due.claim, 'due_respond', due.respond,
    'due_resolve', due.resolve, 'claimed_at', '', 'responded_at', '',
    'resolved_at', '', 'returned_at', '', 'due_return',
    due.returnable or ''}
end

local function queue_score(task, created)
  return string.format('%d', tonumber(created) * 1000 +
    tonumber(task:sub(2)) % 1000)
end

local function queue_open(task, dept, created)
  redis.call('ZADD', key('open', dept), queue_score(task, created), task)
end

local function enqueue(task, dept, due, created)
  hwrite('HSET', key('task', task), unpack(queued_fields(due)))
  queue_open(task, dept, created)
  set_deadline(task, 'claim', due.claim)
  track_work(task, dept, 'queued')
end

-- A new task is enqueue's in one HSET: it has no other stage's deadline
-- and is in no work or done list, so there is nothing to take out. Its
-- queue, deadline and index entries are held (later) with the batch's.
local function new_task(dept, issues, due)
  local task = 'T' .. next_id('task')
  local entry = redis.call('XADD', key('queue', dept), '*', 'task', task)
  local tk = key('task', task)
  hwrite('HSET', tk, 'id', task, 'department', dept,
    'issues', encode_list(issues), 'created', now, 'response', '',
    'resolution', '', 'entry', entry, 'deadline', due.claim,
    unpack(queued_fields(due)))
  ledger_note(tk, issues)
  later('ZADD', key('open', dept), queue_score(task, now), task)
  later('ZADD', key('deadlines'), due.claim, 'claim:' .. task)
  for _, issue in ipairs(issues) do
    later('ZADD', key('issues:dept', dept), now, issue)
    outbox('task.queued', task, dept, issue)
  end
  return task
end

local function each_issue(task, fn)
  for _, issue in ipairs(decode_list(hget(key('task', task), 'issues'))) do
    fn(issue)
  end
end

-- ---- common groups ----

-- A common issue (共性问题): one problem raised for several enterprises is
-- handled once. The daemon found the similar open issues (it.common: the
-- group to join, or the members of a new group); this checks that they are
-- still there and open, then shares one task per department among all
-- members. A new group's task for a department is its oldest member's; the
-- other members' tasks for it are merged away. Returns the group id, or nil
-- when the suggestion no longer holds (the issue is then handled alone).
-- Are the tasks (ids) all still open (req.rules.common.joinable)? A group
-- or an issue with a finished task takes no new member: the same problem
-- raised again gets a task of its own.
local function tasks_joinable(tasks)
  for _, t in ipairs(tasks) do
    if not has(req.rules.common.joinable, hget(key('task', t), 'state')) then
      return false
    end
  end
  return true
end

-- The members of group, and the group, or nil when it is empty or finished.
local function group_members(group)
  local gk = key('group', group)
  local members = decode_list(hget(gk, 'members'))
  if #members == 0 or not tasks_joinable(decode_list(hget(gk, 'tasks'))) then
    return nil
  end
  return members, group
end

local function common_members(it)
  if it.common.group then
    local members, group = group_members(it.common.group)
    if members then return members, group end
  end
  local members = {}
  for _, m in ipairs(it.common.members or {}) do
    local mk = key('issue', m)
    local st, g = hget(mk, 'state'), hget(mk, 'group')
    if g and g ~= '' then
      -- Another daemon may have grouped it meanwhile: join that group,
      -- unless it is finished (then the member is not counted).
      local gm, group = group_members(g)
      if gm then return gm, group end
    elseif st and st ~= 'closed' and hget(mk, 'topic') == it.topic and
        tasks_joinable(decode_list(hget(mk, 'tasks'))) then
      members[#members + 1] = m
    end
  end
  table.sort(members, function(a, b)
    return tonumber(a:sub(2)) < tonumber(b:sub(2)) end)
  if #members == 0 then return nil end
  return members, nil
end

local function group_enterprises(members, extra)
  local seen, n = {}, 0
  for _, m in ipairs(members) do
    local e = hget(key('issue', m), 'enterprise')
    if not seen[e] then seen[e] = true; n = n + 1 end
  end
  if not seen[extra] then n = n + 1 end
  return n
end

-- The group's task for dept: the oldest member's, others merged into it.
local function group_task(members, dept, group)
  local keep
  for _, m in ipairs(members) do
    local tasks = decode_list(hget(key('issue', m), 'tasks'))
    for i, t in ipairs(tasks) do
      if hget(key('task', t), 'department') == dept then
        if not keep then
          keep = t
        elseif t ~= keep then
          hwrite('HSET', key('task', t), 'state', 'merged',
            'merged_into', keep)
          unqueue(t, dept)
          track_work(t, dept, 'merged')
          set_deadline(t, nil)
          tasks[i] = keep
          hwrite('HSET', key('issue', m), 'tasks', enc(tasks))
          history(m, 'system', 'merged', 'task ' .. t .. ' merged into ' ..
            keep .. ' of common group ' .. group)
        end
      end
    end
  end
  return keep
end

common = function(issue, it)
  local members, group = common_members(it)
  if not members then return nil end
  if not group and not rule_reached('common',
      group_enterprises(members, it.enterprise)) then
    return nil
  end
  if not group then
    group = 'G' .. next_id('group')
    hwrite('HSET', key('group', group), 'id', group, 'topic', it.topic,
      'created', now)
  end
  members[#members + 1] = issue
  local n = group_enterprises(members, it.enterprise)
  local tasks, all = {}, encode_list(members)
  for _, dept in ipairs(it.departments) do
    local t = group_task(members, dept, group) or new_task(dept, {}, req.due)
    hwrite('HSET', key('task', t), 'issues', all)
    redis.call('ZADD', key('issues:dept', dept), now, issue)
    outbox('task.updated', t, dept, issue)
    tasks[#tasks + 1] = t
  end
  hwrite('HSET', key('issue', issue), 'tasks', enc(tasks))
  hwrite('HSET', key('group', group), 'members', all, 'tasks', enc(tasks))
  local why = string.format(req.rules.common.reason, n, group)
  for _, m in ipairs(members) do
    local mk = key('issue', m)
    if hget(mk, 'group') == '' then
      hwrite('HSET', mk, 'group', group)
      history(m, 'system', 'grouped', with_state(why, update_state(m)))
    end
    -- A difficult member stays difficult: a rule never lowers.
    set_category(m, req.rules.common.category, 'system', why)
  end
  return group
end

-- ---- trend alerts (未诉先办): counted here, judged by trend.c ----
--   P trend:PERIOD        hash: topic -> distinct enterprises raising it
--   P trend:PERIOD:TOPIC  set: those enterprises (for req.trend_keep_s)
--   P alert:PERIOD:TOPIC  hash: the alert, once per topic and period
--   P alerts              sorted set: alert ids by period_key
-- A period with no trend hash (the zone counted nothing) is no history.

-- What trend_row read of a topic's earlier periods and alert, by
-- 'PERIOD:TOPIC', for the call's other reports of the topic: a count in
-- another period than PERIOD's (a late report's) may change that history,
-- and forgets it.
local trend_past = {}

-- The topic's new count when the enterprise is new to it, else nil.
local function trend_count(period, topic, enterprise)
  local k = key('trend', period, topic)
  if redis.call('SADD', k, enterprise) == 1 then
    for at, past in pairs(trend_past) do
      if past.period ~= period then trend_past[at] = nil end
    end
    -- the set's lifetime once a call: the last report's is the same
    if req.trend_keep_s then later_expire(k, req.trend_keep_s) end
    return hwrite('HINCRBY', key('trend', period), topic, 1)
  end
  return nil
end

-- The counts trend.c judges: the topic's in period (count, read when not
-- given), and in each of periods (the previous ones, newest first) that
-- has any count.
local function trend_row(period, topic, periods, count)
  local at = period .. ':' .. topic
  local past = trend_past[at]
  if not past then
    local history = {}
    for _, p in ipairs(periods) do
      if redis.call('EXISTS', key('trend', p)) == 1 then
        history[#history + 1] = tonumber(hget(key('trend', p), topic) or '0')
      end
    end
    past = {period = period, history = history,
      alerted = redis.call('EXISTS', key('alert', period, topic)) == 1}
    trend_past[at] = past
  end
  return {period = period, topic = topic,
    count = count or tonumber(hget(key('trend', period), topic) or '0'),
    history = past.history, alerted = past.alerted}
end

-- The rows of the topics whose count the report changed (counted: topic
-- -> its new count), JSON, when req.trend (the previous periods) is given.
-- A count the report left as it was was judged when it last changed; what
-- changes a judgement otherwise (a reload's rule, a late report's history)
-- is the daily pass's (trend_scan).
local function trend_rows(counted)
  if not req.trend then return nil end
  local rows = {}
  for _, it in ipairs(req.items) do
    if counted[it.topic] then
      rows[#rows + 1] = trend_row(req.period, it.topic, req.trend,
        counted[it.topic])
      counted[it.topic] = nil
    end
  end
  if #rows == 0 then return nil end
  return enc(rows)
end

-- A new issue the daemon found to be the same problem as a finished issue
-- of its enterprise (it.recurrence_of) recurs it, if that one is still
-- resolved or closed: the link, history on both, the rule 'recurred' (a
-- second recurrence is difficult). It is never folded into the finished
-- issue's task: a group proposal through that issue is dropped.
recurrence = function(issue, it)
  local old = it.recurrence_of
  if not old then return end
  local ok = key('issue', old)
  local st = hget(ok, 'state')
  if (st ~= 'resolved' and st ~= 'closed') or
      hget(ok, 'enterprise') ~= it.enterprise then
    return
  end
  local n = tonumber(hget(ok, 'recurrences') or '0') + 1
  hwrite('HSET', key('issue', issue), 'recurrence_of', old,
    'recurrences', n)
  history(issue, 'system', 'recurrence', 'the same problem as ' .. old ..
    ' (' .. st .. ') again')
  history(old, 'system', 'recurred', 'raised again as ' .. issue)
  if rule_reached('recurred', n) then apply_rule(issue, 'recurred', n) end
  local g, c = hget(ok, 'group'), it.common
  if not c then return end
  if c.group then
    if c.group == g then it.common = nil end
    return
  end
  local kept = {}
  for _, m in ipairs(c.members or {}) do
    local mg = hget(key('issue', m), 'group')
    if m ~= old and (g == '' or mg ~= g) then kept[#kept + 1] = m end
  end
  c.members = kept
end

-- ---- actions: a report ----

-- submit: store one officer's report. Extra ARGV: body hash, idempotency
-- key ('' for none), key lifetime in seconds.
-- Returns {'created', response} | {'replay', response} | {'conflict', ''}
-- | {'recheck', ''}: an enterprise of req.unchecked has finished issues.
-- | {'reauth', ''}: req.token (the hash of a token the daemon remembered,
-- auth.c) no longer names officer req.officer; nothing is stored.
-- | {'limit', items still allowed} when the officer's items in the period
-- would pass req.items_cap (0: no cap).
-- | {'reported', report}: req.zero_refused_after_issues and the officer's
-- report of the period that has issues.
local function reported_issues(officer, period)
  later_flush()   -- an earlier report of the batch may be held
  for _, r in ipairs(redis.call('ZRANGE', key('officer', officer, 'reports'),
      0, -1)) do
    local rk = key('report', r)
    if hget(rk, 'period') == period and
        #decode_list(hget(rk, 'issues')) > 0 then
      return r
    end
  end
  return nil
end

-- A new issue's tasks of its own, one a department, queued: their ids;
-- their history entries held, their answer's JSON added to task_json.
local function submit_tasks(issue, depts, task_json)
  local tasks = {}
  for _, dept in ipairs(depts) do
    local task = new_task(dept, {issue}, req.due)
    tasks[#tasks + 1] = task
    history(issue, 'system', 'queued', 'task ' .. task .. ' queued for ' ..
      dept)
    task_json[#task_json + 1] = '{"id":' .. enc(task) ..
      ',"department":' .. enc(dept) .. ',"state":"queued"}'
  end
  return tasks
end

-- A new issue in submit's answer (its tasks' JSON given).
local function issue_answer(issue, it, category, state, group, task_json)
  return '{"id":' .. enc(issue) .. ',"category":' .. enc(category) ..
    ',"departments":' .. enc(it.departments) .. ',"state":' .. enc(state) ..
    ',"group":' .. (group ~= '' and enc(group) or 'null') .. ',"tasks":[' ..
    table.concat(task_json, ',') .. ']}'
end

-- A new issue (its hash written) that may recur, may join a common group,
-- or goes to no department: its links, its tasks; its answer's JSON.
local function submit_linked(issue, it)
  later_flush()   -- what follows reads and moves the batch's held writes
  recurrence(issue, it)
  local group = it.common and common(issue, it)
  local task_json = {}
  if group or #it.departments == 0 then
    update_state(issue)
    for _, task in ipairs(decode_list(hget(key('issue', issue), 'tasks'))) do
      local t = redis.call('HMGET', key('task', task), 'department', 'state')
      task_json[#task_json + 1] = '{"id":' .. enc(task) ..
        ',"department":' .. enc(t[1]) .. ',"state":' .. enc(t[2]) .. '}'
    end
  else
    local tasks = submit_tasks(issue, it.departments, task_json)
    hwrite('HSET', key('issue', issue), 'tasks', enc(tasks))
  end
  local h = redis.call('HMGET', key('issue', issue), 'category', 'state',
    'group')
  return issue_answer(issue, it, h[1], h[2], h[3], task_json)
end

-- A new issue's hash, flat for HSET (tasks: its tasks' JSON).
local function issue_fields(issue, report, it, tasks)
  return {'id', issue, 'report', report,
    'officer', req.officer, 'enterprise', it.enterprise, 'topic', it.topic,
    'title', it.title, 'detail', it.detail,
    'difficult', it.difficult and '1' or '0', 'period', req.period,
    'category', it.category, 'category_by', 'rule', 'state', 'queued',
    'departments', enc(it.departments), 'tasks', tasks, 'group', '',
    'reopens', '0', 'created', now}
end

local function submit(body_hash, idem, ttl)
  if req.token then
    local t = redis.call('HMGET', key('token', req.token), 'role', 'id')
    if t[1] ~= 'officer' or t[2] ~= req.officer then
      return {'reauth', ''}
    end
  end
  local idem_key = key('idem', req.officer, idem)
  if idem ~= '' then
    local prev = redis.call('HMGET', idem_key, 'body', 'response')
    if prev[1] then
      if prev[1] == body_hash then
        -- A write, so that a WAIT behind the replay (store.c) covers the
        -- first answer too: WAIT counts from the connection's last write.
        redis.call('EXPIRE', idem_key, tonumber(ttl))
        return {'replay', prev[2]}
      end
      return {'conflict', ''}
    end
  end
  -- Enterprises not yet read for recurrences (api_recurrence.c): with a
  -- finished issue since req.finished_since, the daemon reads them first.
  for _, e in ipairs(req.unchecked or {}) do
    if redis.call('ZCOUNT', key('finished', e), req.finished_since, '+inf')
        > 0 then return {'recheck', ''} end
  end
  if req.zero_refused_after_issues then
    local r = reported_issues(req.officer, req.period)
    if r then return {'reported', r} end
  end
  local items_key, cap = key('items', req.period), req.items_cap or 0
  -- the batch's earlier reports' items are held (later_incr)
  local done = cap > 0 and tonumber(hget(items_key, req.officer) or '0') +
    later_owed(items_key, req.officer)
  if cap > 0 and done + #req.items > cap then
    return {'limit', tostring(math.max(cap - done, 0))}
  end
  if #req.items > 0 then
    later_incr(items_key, req.officer, #req.items)
  end
  local report = 'R' .. next_id('report')
  local issue_ids, issue_json, counted = {}, {}, {}
  for _, it in ipairs(req.items) do
    local issue = 'I' .. next_id('issue')
    local ik = key('issue', issue)
    counted[it.topic] = trend_count(req.period, it.topic, it.enterprise) or
      counted[it.topic]
    history(issue, req.actor, 'created', 'reported for period ' .. req.period)
    history(issue, 'system', 'routed', it.route_reason)
    history(issue, 'system', 'classified', it.category .. ': ' .. it.reason)
    later('ZADD', key('issues'), now, issue)
    later('ZADD', key('issues:period', req.period), now, issue)
    later('ZADD', key('issues:officer', req.officer), now, issue)
    later('ZADD', key('issues:category', it.category), now, issue)
    later('ZADD', key('issues:state:queued'), now, issue)
    issue_ids[#issue_ids + 1] = issue
    if not it.recurrence_of and not it.common and #it.departments > 0 then
      -- Neither a recurrence nor a common issue: tasks of its own, all
      -- queued, so is the issue (update_state would find nothing to
      -- change); its hash is written once, with them, and the answer is
      -- made without a read.
      local task_json = {}
      local tasks = submit_tasks(issue, it.departments, task_json)
      hwrite('HSET', ik, unpack(issue_fields(issue, report, it, enc(tasks))))
      ledger_note(ik, req.period)
      issue_json[#issue_json + 1] = issue_answer(issue, it, it.category,
        'queued', '', task_json)
    else
      hwrite('HSET', ik, unpack(issue_fields(issue, report, it, '[]')))
      issue_json[#issue_json + 1] = submit_linked(issue, it)
    end
  end
  hwrite('HSET', key('report', report), 'id', report,
    'officer', req.officer, 'period', req.period,
    'late', req.late and '1' or '0', 'created', now,
    'issues', encode_list(issue_ids))
  later('ZADD', key('reports', req.period), now, report)
  later('ZADD', key('officer', req.officer, 'reports'), now, report)
  later('SADD', key('reported', req.period), req.officer)
  local response = '{"report":' .. enc(report) .. ',"period":' ..
    enc(req.period) .. ',"issues":[' .. table.concat(issue_json, ',') .. ']}'
  if idem ~= '' then
    hwrite('HSET', idem_key, 'body', body_hash, 'response', response,
      'report', report)
    redis.call('EXPIRE', idem_key, tonumber(ttl))
  end
  local rows = trend_rows(counted)
  if rows then return {'created', response, rows} end
  return {'created', response}
end

-- submit_batch: the reports that reached the daemon in one turn of its loop
-- (group commit, intake.c), stored one after the other in this one call, so
-- that they share one fsync. ARGV[3]: the members every report's payload
-- shares (the generation's constants: stages, rules, notify), sent once
-- and decoded at most once (shared_members); from ARGV[4]: payload, body
-- hash, key, lifetime per report. Returns one submit answer per report; a
-- report whose script fails gets {'error', message} and the others go on.
-- submit with its issues' history held and written at its end, also when
-- it fails half-way (what it wrote stays, as the entries did before).
local function submit_held(body_hash, idem, ttl)
  history_hold()
  local ok, res = pcall(submit, body_hash, idem, ttl)
  history_release()
  if not ok then error(res, 0) end
  return res
end

-- A report's req: its payload, then the constants (text), decoded the
-- first time a report asks for a member the text names (~100 Redis
-- instructions a byte: a plain report needs none of them).
local function shared_members(text)
  local shared
  return {__index = function(_, k)
    if not shared then
      if not string.find(text, '"' .. k .. '":', 1, true) then return nil end
      shared = cjson.decode(text)
    end
    return shared[k]
  end}
end

local function submit_batch()
  local out, shared = {}, shared_members(ARGV[3])
  for i = 4, #ARGV, 4 do
    local ok, res = pcall(function()
      req = setmetatable(cjson.decode(ARGV[i]), shared)
      now = req.now
      return submit_held(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    end)
    if not ok then
      res = {'error', type(res) == 'table' and tostring(res.err) or
        tostring(res)}
    end
    out[#out + 1] = res
  end
  return out
end

-- The actions but a report's, made only when one of them is called: as a
-- plain script the top level runs on every call, and each function it
-- makes costs Redis more the more locals are above it (Lua's search for
-- its upvalues). As a Function they are made once: nothing here may keep
-- a call's state outside its actions (main() resets the file's).
local function other_actions()
  -- ---- actions: a department's steps ----

  -- The step's window (req.within: the task field holding when it closes,
  -- due_return for 退单) has closed: the refusal with req.within_reason (the
  -- daemon's words); nil while open or unset.
  local function window_closed(k, field)
    local until_ms = tonumber(hget(k, field) or '')
    if not until_ms or tonumber(now) <= until_ms then return nil end
    return {'invalid', req.within_reason}
  end

  -- The task for a department action, or an error reply.
  local function task_for(task, dept)
    local k = key('task', task)
    local d = hget(k, 'department')
    if not d then return nil, {'not_found', 'no such task'} end
    if dept ~= '' and d ~= dept then
      return nil, {'forbidden', 'this task belongs to another department'}
    end
    return d
  end

  -- claim, respond, resolve, return: one step of a task by its department.
  -- The state machine is task.c's; the payload says which states the step
  -- may start from (from), where it leads (to), the field its text goes to,
  -- the history event, and the stage whose deadline runs next.
  local function step(task)
    local dept, err = task_for(task, req.department)
    if not dept then return err end
    local k = key('task', task)
    local state = hget(k, 'state')
    if not has(req.from, state) then
      return {'conflict', 'the task is ' .. state .. ': cannot ' .. req.step}
    end
    local closed = req.within and window_closed(k, req.within)
    if closed then return closed end
    -- A resolve's outcomes (fieldwork.c made them): each names one of the
    -- task's issues, its first by default; checked before anything changes.
    local issues = decode_list(hget(k, 'issues'))
    for _, rec in ipairs(req.outcomes or {}) do
      if rec.fields.issue == '' then rec.fields.issue = issues[1] or '' end
      if not has(issues, rec.fields.issue) then
        return {'invalid', 'the outcome\'s issue is not one of this task\'s'}
      end
      local bad = fw_outcome_issue(rec)
      if bad then return bad end
    end
    local deadline = tonumber(hget(k, 'deadline') or '')
    local late = (hget(k, 'overdue') or '') ~= '' or
      (deadline ~= nil and deadline < tonumber(now))
    local told = req.to
    if req.to == 'claimed' and late then told = 'claimed_late' end
    hwrite('HSET', k, 'state', req.to, req.field, req.text,
      req.to .. '_at', now)
    if state == 'queued' then unqueue(task, dept) end
    track_work(task, dept, req.to)
    for _, rec in ipairs(req.outcomes or {}) do
      fw_store(rec, req.actor, now)
    end
    if req.next then
      set_deadline(task, req.next, hget(k, 'due_' .. req.next))
    else
      set_deadline(task, nil)
    end
    each_issue(task, function(issue)
      local change = update_state(issue)
      if req.to == 'resolved' then
        redis.call('ZADD', key('issues:resolved'), now, issue)
      end
      history(issue, req.actor, req.event, with_state(req.step == 'claim' and
        ('task ' .. task .. ' claimed by ' .. req.text) or req.text, change),
        req.text)
      tell(issue, told, task)
    end)
    return {'ok', task, redis.call('HGETALL', k)}
  end

  local function claim_next()
    local first = redis.call('ZRANGE', key('open', req.department), 0, 0)
    if #first == 0 then return {'empty', ''} end
    return step(first[1])
  end

  -- ---- actions: an issue (reopen, confirm, classify, route) ----

  -- The issue for an action of its officer, or an error reply.
  local function issue_of_officer(issue)
    local k = key('issue', issue)
    local officer = hget(k, 'officer')
    if not officer then return nil, {'not_found', 'no such issue'} end
    if req.officer and officer ~= req.officer then
      return nil, {'forbidden', 'this issue is not yours'}
    end
    return k
  end

  -- Put every task of a resolved issue back into its queue. Other issues
  -- sharing a task (a common group) follow its state.
  local function reopen(issue, reason, note)
    local k = key('issue', issue)
    local n = hwrite('HINCRBY', k, 'reopens', 1)
    local tasks = decode_list(hget(k, 'tasks'))
    hwrite('HSET', k, 'state', 'resolved')
    for _, task in ipairs(tasks) do
      local t = key('task', task)
      local dept = hget(t, 'department')
      hwrite('HSET', t, 'response', '', 'resolution', '')
      enqueue(task, dept, req.due, hget(t, 'created'))
      outbox('task.reopened', task, dept, issue)
    end
    history(issue, req.actor, 'reopened', with_state(reason,
      update_state(issue)), note)
    for _, task in ipairs(tasks) do
      each_issue(task, function(other)
        local change = other ~= issue and update_state(other)
        if change then
          history(other, req.actor, 'reopened', with_state('task ' .. task ..
            ' reopened through ' .. issue .. ': ' .. reason, change))
        end
      end)
    end
    if rule_reached('reopened', n) then apply_rule(issue, 'reopened', n) end
  end

  -- The resolved issue for an officer's verb (confirm, reopen), or an error
  -- reply.
  local function resolved_issue_of_officer(issue, verb)
    local k, err = issue_of_officer(issue)
    if not k then return nil, err end
    if hget(k, 'state') ~= 'resolved' then
      return nil, {'conflict', 'only a resolved issue can be ' .. verb}
    end
    return k
  end

  local function reopen_action()
    local k, err = resolved_issue_of_officer(req.issue, 'reopened')
    if not k then return err end
    reopen(req.issue, req.reason, req.reason)
    return {'ok', req.issue}
  end

  -- confirm: the officer's rating (回访) of the issue's resolution. The
  -- rating belongs to the departments whose resolution it rates: each
  -- resolved task's department is written into the issue's ratings
  -- ({dept: satisfaction}, the latest rating of each), so a department the
  -- issue is routed to later starts clean. 不满意 sends the issue back.
  local function confirm()
    local k, err = resolved_issue_of_officer(req.issue, 'confirmed')
    if not k then return err end
    local why = req.satisfaction .. (req.comment ~= '' and (': ' .. req.comment)
      or '')
    local ratings = cjson.decode(hget(k, 'ratings') or '{}')
    if type(ratings) ~= 'table' then ratings = {} end
    for _, t in ipairs(decode_list(hget(k, 'tasks'))) do
      local tk = key('task', t)
      if hget(tk, 'state') == 'resolved' then
        ratings[hget(tk, 'department')] = req.satisfaction
      end
    end
    hwrite('HSET', k, 'satisfaction', req.satisfaction)
    if next(ratings) ~= nil then hwrite('HSET', k, 'ratings', enc(ratings)) end
    if req.satisfaction == 'unsatisfied' then
      history(req.issue, req.actor, 'confirmed', why, req.comment)
      reopen(req.issue, 'unsatisfied: ' .. req.comment, req.comment)
      return {'ok', req.issue}
    end
    hwrite('HSET', k, 'state', 'closed')
    index_move('issues:state', req.issue, 'resolved', 'closed',
      hget(k, 'created'))
    history(req.issue, req.actor, 'confirmed', with_state(why,
      'resolved -> closed'), req.comment ~= '' and req.comment or nil)
    return {'ok', req.issue}
  end

  local function classify()
    local k = key('issue', req.issue)
    if not hget(k, 'id') then return {'not_found', 'no such issue'} end
    set_category(req.issue, req.category, req.actor, req.reason, true)
    return {'ok', req.issue}
  end

  -- route: the issue's new set of departments. Tasks of kept departments stay,
  -- new departments get new tasks, dropped ones are withdrawn from their
  -- queues. A returned task is never queued again: it stays in the issue's
  -- record (returned_tasks) as its department's 退单, and a department routed
  -- the issue again gets a new task, so the return still counts.
  local function route()
    local k = key('issue', req.issue)
    if not hget(k, 'id') then return {'not_found', 'no such issue'} end
    if hget(k, 'state') == 'closed' then
      return {'conflict', 'a closed issue cannot be re-routed'}
    end
    local by_dept, wanted, tasks, kept = {}, {}, {}, {}
    local returned = decode_list(hget(k, 'returned_tasks'))
    for _, t in ipairs(decode_list(hget(k, 'tasks'))) do
      local tk = key('task', t)
      local d = hget(tk, 'department')
      if hget(tk, 'state') == 'returned' then
        returned[#returned + 1] = t
        kept[#kept + 1] = 'task ' .. t .. ' (' .. d .. ') stays returned: ' ..
          (hget(tk, 'return_reason') or '')
      else
        by_dept[d] = t
      end
    end
    for _, d in ipairs(req.departments) do
      wanted[d] = true
      tasks[#tasks + 1] = by_dept[d] or new_task(d, {req.issue}, req.due)
    end
    for d, t in pairs(by_dept) do
      if not wanted[d] then
        local tk = key('task', t)
        local members = {}
        for _, i in ipairs(decode_list(hget(tk, 'issues'))) do
          if i ~= req.issue then members[#members + 1] = i end
        end
        hwrite('HSET', tk, 'issues', encode_list(members))
        if #members == 0 then
          hwrite('HSET', tk, 'state', 'withdrawn')
          unqueue(t, d)
          track_work(t, d, 'withdrawn')
          set_deadline(t, nil)
        end
      end
    end
    for _, t in ipairs(returned) do
      by_dept[hget(key('task', t), 'department')] = t
    end
    later_flush()   -- new_task's index entries
    for d, _ in pairs(by_dept) do
      if not wanted[d] then
        redis.call('ZREM', key('issues:dept', d), req.issue)
      end
    end
    hwrite('HSET', k, 'departments', enc(req.departments),
      'tasks', enc(tasks), 'returned_tasks', encode_list(returned))
    local why = 'to ' .. table.concat(req.departments, ', ') .. ': ' ..
      req.reason
    if #kept > 0 then why = why .. '; ' .. table.concat(kept, '; ') end
    history(req.issue, req.actor, 'routed', with_state(why,
      update_state(req.issue)), req.reason)
    if rule_reached('routed', #req.departments) then
      apply_rule(req.issue, 'routed', #req.departments)
    end
    return {'ok', req.issue}
  end

  -- ---- governance (issue 16): 延期 extensions, 复发 recurrence, snapshots
  -- SPEC §12. The limits (days, extensions_max) and the new due time, counted
  -- in working days, come from the daemon (governance.c); this applies them.

  -- The deadline stage a task in state waits in (req.stages), or nil.
  local function stage_of(state)
    for stage, s in pairs(req.stages) do
      if s == state then return stage end
    end
    return nil
  end

  local function extensions_approved(list)
    local n = 0
    for _, x in ipairs(list) do
      if x.state == 'approved' then n = n + 1 end
    end
    return n
  end

  -- extend: the department asks for req.days more working days (延期申请)
  -- for the step now running. Refused when no step runs, after the step's
  -- due time, while another request waits, or once req.extensions_max were
  -- approved.
  local function extend()
    local dept, err = task_for(req.task, req.department)
    if not dept then return err end
    local k = key('task', req.task)
    local state = hget(k, 'state')
    local stage = stage_of(state)
    if not stage then
      return {'conflict', 'the task is ' .. state .. ': no step of it is due'}
    end
    local due = tonumber(hget(k, 'due_' .. stage) or '')
    if due and tonumber(now) > due then
      return {'invalid', 'the ' .. stage .. ' step was due already: an ' ..
        'extension must be asked for before the due time'}
    end
    if hget(k, 'extension_pending') == '1' then
      return {'conflict', 'an extension of this task is waiting for an admin'}
    end
    local list = decode_list(hget(k, 'extensions'))
    if extensions_approved(list) >= req.extensions_max then
      return {'invalid', string.format('at most %d extensions are approved ' ..
        'per task', req.extensions_max)}
    end
    list[#list + 1] = {days = req.days, reason = req.reason, state = 'pending',
      at = now, decided_at = '', stage = stage}
    hwrite('HSET', k, 'extensions', enc(list), 'extension_pending', '1')
    redis.call('ZADD', key('extensions', 'pending'), now, req.task)
    each_issue(req.task, function(issue)
      history(issue, req.actor, 'extension_requested', string.format(
        'task %s: %d more working days for the %s step: %s', req.task,
        req.days, stage, req.reason), req.reason)
      outbox('task.updated', req.task, dept, issue)
    end)
    return {'ok', req.task, redis.call('HGETALL', k)}
  end

  -- extension: an admin decides the waiting request (req.decision approve or
  -- deny). Approval moves the running step's due time to req.new_due, which
  -- the daemon counted from req.from_due: if the deadline moved meanwhile the
  -- daemon must count again (conflict). An approved step is not overdue.
  local function extension()
    local k = key('task', req.task)
    local dept = hget(k, 'department')
    if not dept then return {'not_found', 'no such task'} end
    if hget(k, 'extension_pending') ~= '1' then
      return {'conflict', 'no extension of this task is waiting'}
    end
    local list = decode_list(hget(k, 'extensions'))
    local n = #list
    local x = list[n]
    local stage = stage_of(hget(k, 'state'))
    if req.decision == 'approve' then
      if not stage then
        return {'conflict', 'no step of this task is due any more: deny ' ..
          'the request'}
      end
      if req.new_due == '' or hget(k, 'deadline') ~= req.from_due then
        return {'conflict', 'the task changed meanwhile: try again'}
      end
      if extensions_approved(list) >= req.extensions_max then
        return {'invalid', string.format('at most %d extensions are ' ..
          'approved per task', req.extensions_max)}
      end
      hwrite('HSET', k, 'due_' .. stage, req.new_due)
      set_deadline(req.task, stage, req.new_due)
      hwrite('HINCRBY', k, 'extended', 1)
      if hget(k, 'overdue') == stage then hwrite('HSET', k, 'overdue', '') end
      x.state = 'approved'
    else
      x.state = 'denied'
    end
    x.decided_at = now
    x.decision = req.reason
    hwrite('HSET', k, 'extensions', enc(list), 'extension_pending', '')
    redis.call('ZREM', key('extensions', 'pending'), req.task)
    redis.call('ZADD', key('extensions', x.state), now, req.task .. ':' .. n)
    each_issue(req.task, function(issue)
      history(issue, req.actor, 'extension_' .. x.state, string.format(
        'task %s: %d working days%s: %s', req.task, x.days,
        x.state == 'approved' and (' for the ' .. stage .. ' step') or '',
        req.reason), req.reason ~= '' and req.reason or nil)
      outbox('task.updated', req.task, dept, issue)
    end)
    return {'ok', req.task, redis.call('HGETALL', k)}
  end

  -- snapshot: freeze req.period's ledger (ARGV[4], the JSON the daemon made)
  -- unless it is frozen already: of several daemons the first one writes it,
  -- once, and it never changes afterwards.
  local function snapshot()
    local k = key('snapshot', req.period)
    if redis.call('EXISTS', k) == 1 then return {'exists', req.period} end
    redis.call('SET', k, ARGV[4])
    redis.call('ZADD', key('snapshots'), now, req.period)
    -- the zone's total apart, for /ledger's line of six periods (ledger.lua)
    local total = cjson.decode(ARGV[4]).total
    if type(total) == 'table' then
      hwrite('HSET', key('snapshot', 'totals'), req.period, enc(total))
    end
    return {'ok', req.period}
  end

  -- ---- trend alerts ----

  -- trend_alert: record req.alerts (found by trend.c's rule), each topic and
  -- period once however many daemons or passes found it, with an outbox
  -- entry for req.leaders (the leaders' webhook, when the zone has one).
  -- Returns the ids recorded now.
  local function trend_alert()
    local out = {}
    for _, a in ipairs(req.alerts) do
      local k = key('alert', a.period, a.topic)
      if redis.call('EXISTS', k) == 0 then
        local id = a.period .. ':' .. a.topic
        hwrite('HSET', k, 'id', id, 'period', a.period, 'topic', a.topic,
          'topic_name', a.topic_name, 'enterprises', a.enterprises,
          'mean', a.mean, 'history_periods', a.history_periods,
          'factor', a.factor, 'departments', encode_list(a.departments),
          'at', now)
        redis.call('ZADD', key('alerts'), a.period_key, id)
        -- the leaders' webhook (the roster's zone.leaders_webhook)
        if req.leaders then outbox('alert.trend', id, req.leaders, '') end
        out[#out + 1] = id
      end
    end
    return out
  end

  -- trend_scan: the daily pass. The first daemon to ask on req.day gets
  -- {'ok', rows} for every topic counted in req.period; the others, and
  -- that daemon again the same day, {'done', ''}.
  local function trend_scan()
    if not redis.call('SET', key('trend', 'day', req.day), now, 'NX', 'EX',
        172800) then
      return {'done', ''}
    end
    local rows = {}
    for _, topic in ipairs(redis.call('HKEYS', key('trend', req.period))) do
      rows[#rows + 1] = trend_row(req.period, topic, req.trend)
    end
    return {'ok', #rows > 0 and enc(rows) or '[]'}
  end

  -- ---- the deadline timer ----

  -- escalate: the tasks whose current stage is past due, at most req.limit.
  -- ZREM takes each one, so two daemons never escalate the same stage.
  local function escalate()
    local due = redis.call('ZRANGEBYSCORE', key('deadlines'), '-inf', now,
      'LIMIT', 0, req.limit)
    local n = 0
    for _, member in ipairs(due) do
      redis.call('ZREM', key('deadlines'), member)
      local stage, task = member:match('^(%a+):(.+)$')
      local tk = key('task', task)
      if stage and hget(tk, 'state') == req.stages[stage] then
        local dept = hget(tk, 'department')
        -- escalated_at: /form marks an escalation since the officer's visit
        hwrite('HSET', tk, 'overdue', stage, 'escalated_at', now)
        each_issue(task, function(issue)
          history(issue, 'system', 'escalated', stage ..
            ' deadline passed for task ' .. task .. ' (' .. dept .. ')')
          if has(req.rules.overdue.stages, stage) then
            apply_rule(issue, 'overdue', stage)
          end
          outbox(stage == 'claim' and 'task.reminder' or 'task.escalated',
            task, dept, issue)
          tell(issue, 'escalated', task)
        end)
        n = n + 1
      end
    end
    return {'ok', tostring(n)}
  end
  return {
    claim_next = claim_next,
    step = function() return step(req.task) end,
    confirm = confirm,
    reopen = reopen_action,
    classify = classify,
    route = route,
    escalate = escalate,
    extend = extend,
    extension = extension,
    snapshot = snapshot,
    trend_alert = trend_alert,
    trend_scan = trend_scan,
  }
end

local other  -- other_actions(), made by the first call of one of them
local report_actions = {
  submit = function() return submit_held(ARGV[4], ARGV[5], ARGV[6]) end,
  submit_batch = submit_batch,
}

-- One call: ARGV is this call's. A Function's upvalues outlive the call,
-- so every state a call keeps is made anew here (an error half-way leaves
-- it behind).
local function main()
  P, action = ARGV[1], ARGV[2]
  -- submit_batch's ARGV[3] is the generation's constants, which most
  -- reports never read (a plain report needs no rule): decoded on first use.
  req = action ~= 'submit_batch' and cjson.decode(ARGV[3]) or {}
  now = req.now
  later_order, later_args, later_cmd = {}, {}, {}
  later_incr_order, later_incrs = {}, {}
  later_expires, later_expire_order = {}, {}
  seq_last, held, held_order, trend_past = {}, nil, nil, {}
  local actions = report_actions
  if not actions[action] then
    -- made once per load as a Function: they keep no state of their own
    other = other or other_actions()
    actions = other
  end
  return dispatch('workflow.lua', actions, action, later_flush)
end
return main()
