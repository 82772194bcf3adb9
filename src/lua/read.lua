#!lua flags=no-writes
-- read.lua -- read one thing with everything that belongs to it, in one
-- step so that the parts agree. It writes nothing, and says so (the line
-- above): a page's session read goes on while writes are paused.
--
-- ARGV: prefix, kind, id, [limit].
--   issue I  -> {issue fields, {task fields, ...}, {history JSON, ...}},
--               or {} when there is no such issue
--   task T   -> {task fields, {issue fields, ...}}, or {}
--   queue D  -> {total, {{task fields}, ...}}: how many tasks D has queued,
--               and the oldest of them, at most limit
--   dept D QUEUE DONE HISTORY -> {total queued, {queued task fields,
--               ...} (the oldest QUEUE), {task fields, ...} in work,
--               {task fields, ...} (the last DONE resolved, latest first),
--               {dossier, ...}}: /dept in one step; the dossiers (as
--               below, last HISTORY entries) of every listed task's issues,
--               in the order of the lists
--   session SID -> {session fields, fields of the token it names}: who is
--               signed in on a page, in one step ({} for what is missing)
--   since MS LIMIT SKIP -> {id, created ms, id, created ms, ...}: issues
--               created at or after MS, oldest first, the first SKIP left
--               out, at most LIMIT (the common-issue window looks for those
--               it does not have yet)
--   issues "I1 I2 ..." -> {{issue fields}, ...}, one for each id
--   window "I1 I2 ..." "F1 F2 ..." -> {{value of F1, F2, ...}, ...}, one
--               for each id: the fields the common-issue window keeps, not
--               the whole hash (half the reply, a third of its parsing)
--   dossiers "I1 I2 ..." LIMIT -> {{issue fields, {history JSON, ...}},
--               ...}, one for each id, with the last LIMIT history entries
--   deliveries DEPT|'' STATUS|'' LIMIT -> {{delivery fields, {attempt
--               JSON, ...}}, ...}: webhook deliveries, newest first
--   metrics -> {{report and issue counters}, webhook counters (flat),
--               digest mail counters (flat), digest recipients waiting,
--               officers' mail counters (flat), officers' mail waiting}
--   alerts "FROM TO" -> {{alert fields}, ...}: trend alerts of the periods
--               whose period_key is in [FROM, TO], oldest period first
-- Fields are flat arrays as HGETALL gives them.
local kind, id = ARGV[2], ARGV[3]

-- key, hget, hashes, decode_list and record_tasks are prelude.lua's.

if kind == 'issue' then
  local k = key('issue', id)
  local issue = redis.call('HGETALL', k)
  if #issue == 0 then return {} end
  return {issue, hashes('task:', record_tasks(k)),
    redis.call('LRANGE', k .. ':history', 0, -1)}
end
if kind == 'task' then
  local k = key('task', id)
  local task = redis.call('HGETALL', k)
  if #task == 0 then return {} end
  return {task, hashes('issue:', decode_list(hget(k, 'issues')))}
end
if kind == 'queue' then
  local ids = redis.call('ZRANGE', key('open', id), 0,
    tonumber(ARGV[4]) - 1)
  return {redis.call('ZCARD', key('open', id)), hashes('task:', ids)}
end
if kind == 'dept' then
  local queue = hashes('task:', redis.call('ZRANGE', key('open', id), 0,
    tonumber(ARGV[4]) - 1))
  local work = hashes('task:', redis.call('ZRANGE', key('work', id), 0, -1))
  local done = hashes('task:', redis.call('ZREVRANGE', key('done', id), 0,
    tonumber(ARGV[5]) - 1))
  local dossiers, limit = {}, tonumber(ARGV[6])
  for _, list in ipairs({queue, work, done}) do
    for _, t in ipairs(list) do
      local issues
      for i = 1, #t, 2 do
        if t[i] == 'issues' then issues = decode_list(t[i + 1]) end
      end
      for _, x in ipairs(issues or {}) do
        local k = key('issue', x)
        dossiers[#dossiers + 1] = {redis.call('HGETALL', k),
          redis.call('LRANGE', k .. ':history', -limit, -1)}
      end
    end
  end
  return {redis.call('ZCARD', key('open', id)), queue, work, done, dossiers}
end
if kind == 'session' then
  local s = redis.call('HGETALL', key('session', id))
  local t = {}
  for i = 1, #s, 2 do
    if s[i] == 'token' then t = redis.call('HGETALL', key('token', s[i + 1])) end
  end
  return {s, t}
end
if kind == 'since' then
  return redis.call('ZRANGEBYSCORE', key('issues'), id, '+inf',
    'WITHSCORES', 'LIMIT', tonumber(ARGV[5] or 0), tonumber(ARGV[4]))
end
if kind == 'issues' then
  local ids = {}
  for x in id:gmatch('%S+') do ids[#ids + 1] = x end
  return hashes('issue:', ids)
end
if kind == 'window' then
  local out, fields = {}, {}
  for f in ARGV[4]:gmatch('%S+') do fields[#fields + 1] = f end
  for x in id:gmatch('%S+') do
    out[#out + 1] = redis.call('HMGET', key('issue', x), unpack(fields))
  end
  return out
end
if kind == 'dossiers' then
  local out, limit = {}, tonumber(ARGV[4])
  for x in id:gmatch('%S+') do
    local k = key('issue', x)
    out[#out + 1] = {redis.call('HGETALL', k),
      redis.call('LRANGE', k .. ':history', -limit, -1)}
  end
  return out
end
if kind == 'metrics' then
  -- The id counters are the totals: ids are never reused.
  return {redis.call('HMGET', key('seq'), 'report', 'issue'),
    redis.call('HGETALL', key('webhooks', 'stats')),
    redis.call('HGETALL', key('digest', 'stats')),
    redis.call('ZCARD', key('digest', 'due')),
    redis.call('HGETALL', key('notify', 'stats')),
    redis.call('ZCARD', key('notify', 'due'))}
end
if kind == 'deliveries' then
  local index = key('deliveries')
  if id ~= '' then index = index .. ':dept:' .. id end
  local status, limit = ARGV[4], tonumber(ARGV[5])
  return newest_rows(index, nil, nil, 0, limit, function(d)
    local k = key('delivery', d)
    if status ~= '' and redis.call('HGET', k, 'status') ~= status then
      return nil
    end
    return {redis.call('HGETALL', k),
      redis.call('LRANGE', k .. ':attempts', 0, -1)}
  end)
end
-- Governance (issue 16).
--   extensions STATE LIMIT -> {{member, task fields}, ...}: the tasks with
--               a 延期 request waiting (pending, oldest first; member the
--               task id) or decided (approved|denied, latest first; member
--               'T:N', the task's Nth request)
--   snapshots -> {period, freeze ms, ...}: the frozen ledgers, oldest first
--   snapshot P -> the frozen ledger of period P (JSON), or nil
--   finished "E1 E2 ..." FROM LIMIT -> {{issue fields}, ...}: the issues of
--               those enterprises resolved or closed since FROM (ms), at
--               most LIMIT of each, latest first (recurrence)
if kind == 'extensions' then
  local limit = tonumber(ARGV[4])
  local members
  if id == 'pending' then
    members = redis.call('ZRANGE', key('extensions', id), 0, limit - 1)
  else
    members = redis.call('ZREVRANGE', key('extensions', id), 0, limit - 1)
  end
  local out = {}
  for _, m in ipairs(members) do
    local t = m:match('^([^:]+)')
    out[#out + 1] = {m, redis.call('HGETALL', key('task', t))}
  end
  return out
end
--   agenda "P1 P2" -> {{issue fields, {task fields, ...}}, ...}: the issues
--               of those periods not closed, with their tasks (merged and
--               withdrawn ones left out), for the working meeting's agenda;
--               then a row {alert fields} for each trend alert of them
if kind == 'alerts' then
  local from, to = id:match('^(%S+) (%S+)$')
  local out = {}
  for _, a in ipairs(redis.call('ZRANGEBYSCORE', key('alerts'), from, to)) do
    local p, t = a:match('^([^:]+):(.+)$')
    out[#out + 1] = redis.call('HGETALL', key('alert', p, t))
  end
  return out
end
if kind == 'agenda' then
  local out = {}
  for p in id:gmatch('%S+') do
    for _, i in ipairs(redis.call('ZRANGE', key('issues', 'period', p), 0,
        -1)) do
      local k = key('issue', i)
      if hget(k, 'state') ~= 'closed' then
        local tasks = {}
        for _, t in ipairs(decode_list(hget(k, 'tasks'))) do
          local s = hget(key('task', t), 'state')
          if s and s ~= 'merged' and s ~= 'withdrawn' then
            tasks[#tasks + 1] = redis.call('HGETALL', key('task', t))
          end
        end
        out[#out + 1] = {redis.call('HGETALL', k), tasks}
      end
    end
  end
  for p in id:gmatch('%S+') do
    for _, t in ipairs(redis.call('HKEYS', key('trend', p))) do
      local a = redis.call('HGETALL', key('alert', p, t))
      if #a > 0 then out[#out + 1] = {a} end
    end
  end
  return out
end
if kind == 'snapshots' then
  return redis.call('ZRANGE', key('snapshots'), 0, -1, 'WITHSCORES')
end
if kind == 'snapshot' then
  return redis.call('GET', key('snapshot', id))
end
if kind == 'finished' then
  local out = {}
  for e in id:gmatch('%S+') do
    local ids = redis.call('ZREVRANGEBYSCORE', key('finished', e), '+inf',
      ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
    for _, x in ipairs(ids) do
      out[#out + 1] = redis.call('HGETALL', key('issue', x))
    end
  end
  return out
end
return redis.error_reply('read.lua: unknown kind ' .. tostring(kind))
