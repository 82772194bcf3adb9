-- deliver.lua -- webhook deliveries, from outbox entries to attempts. Each
-- action is one transaction, so a delivery is created exactly when its
-- outbox entry is acknowledged, and two daemons never hold the same due
-- delivery at once (claiming moves it a lease into the future).
--
-- ARGV: prefix, action, payload (JSON).
-- Keys (P = prefix):
--   P delivery:D            hash: id, event, task, department, issue,
--                           created, status (pending|delivered|dead),
--                           attempts (count), next_at, error
--   P delivery:D:attempts   list of JSON {at, status, error, duration_ms}
--   P deliveries            sorted set of all deliveries by creation ms
--   P deliveries:dept:DEPT  the same, per department
--   P deliveries:due:DEPT   sorted set: a department's pending deliveries
--                           by when to try (leases push them ahead)
--   P deliveries:depts      set of the departments that have some
--   P deliveries:ended      sorted set: delivered and dead deliveries by
--                           when they ended (the retention sweep's list)
--   P retention:lease       string: the daemon sweeping (SET NX PX)
--   P webhooks:disabled     hash: department -> why (an endpoint said 410)
--   P webhooks:stats        hash: "DEPT:delivered|retried|dead" counters
--                           and "DEPT:pending", the deliveries not yet
--                           delivered or dead
--   P webhooks:next         hash: department -> when its chat robot may
--                           get the next message (ms)
local action = ARGV[2]
local req = cjson.decode(ARGV[3])

-- key, hget, hashes and dispatch are prelude.lua's.

-- enqueue: outbox entries (read through the consumer group) become
-- deliveries due now, or at e.held_until when a chat robot's quiet hours
-- hold them (webhook.c says which); the entries are acknowledged in the
-- same step. The indexes, the counter and the XACK are written once a key
-- for the whole call (each redis.call costs as much as a small write), not
-- once an entry.
local function enqueue()
  local acks, made, depts = {}, {}, {}
  for _, e in ipairs(req.entries) do
    local k = key('delivery', e.id)
    local due = e.held_until or req.now
    if redis.call('EXISTS', k) == 0 then
      redis.call('HSET', k, 'id', e.id, 'event', e.event, 'task', e.task,
        'department', e.department, 'issue', e.issue, 'created', req.now,
        'status', 'pending', 'attempts', 0, 'next_at', due, 'error', '')
      local d = depts[e.department]
      if not d then
        d = {due = {}, made = {}, n = 0}
        depts[e.department] = d
      end
      d.due[#d.due + 1] = due
      d.due[#d.due + 1] = e.id
      d.made[#d.made + 1] = req.now
      d.made[#d.made + 1] = e.id
      d.n = d.n + 1
      made[#made + 1] = req.now
      made[#made + 1] = e.id
    end
    acks[#acks + 1] = e.id
  end
  for dept, d in pairs(depts) do
    redis.call('ZADD', key('deliveries:due', dept), unpack(d.due))
    redis.call('SADD', key('deliveries:depts'), dept)
    redis.call('ZADD', key('deliveries:dept', dept), unpack(d.made))
    redis.call('HINCRBY', key('webhooks:stats'), dept .. ':pending', d.n)
  end
  if #made > 0 then redis.call('ZADD', key('deliveries'), unpack(made)) end
  if #acks > 0 then
    redis.call('XACK', key('outbox'), 'webhooks', unpack(acks))
  end
  return #req.entries
end

-- claim: due deliveries, each leased for lease ms, with the task and issues
-- a message is made of. Each department has a queue of its own and is
-- given at most its free slots (req.cap less req.busy[dept] in flight), so
-- a hung endpoint's backlog never stands in front of another department.
-- A delivery to a disabled endpoint is not sent: it is dead until an admin
-- retries it.
--
-- Chat robots accept a few messages a minute: req.pace gives, for each
-- such department, the least time between two messages. Until its next
-- turn its deliveries wait; then all that are due (up to req.merge) are
-- claimed together, to go as one merged message.
local function claim()
  local out = {}
  for _, dept in ipairs(redis.call('SMEMBERS', key('deliveries:depts'))) do
    local due_key = key('deliveries:due', dept)
    local pace = req.pace[dept]
    local free = req.cap - (req.busy[dept] or 0)
    local why = hget(key('webhooks:disabled'), dept)
    if pace then
      local next_ok = tonumber(hget(key('webhooks:next'), dept) or '0')
      if next_ok > req.now or free <= 0 then
        free = 0
      else
        free = req.merge
      end
    end
    if why then free = 100 end
    if redis.call('ZCARD', due_key) == 0 then
      redis.call('SREM', key('deliveries:depts'), dept)
      free = 0
    end
    local due = {}
    if free > 0 then
      due = redis.call('ZRANGEBYSCORE', due_key, '-inf', req.now, 'LIMIT',
        0, free)
    end
    if pace and #due > 0 then
      redis.call('HSET', key('webhooks:next'), dept, req.now + pace)
    end
    for _, id in ipairs(due) do
      local k = key('delivery', id)
      if why then
        redis.call('ZREM', due_key, id)
        redis.call('HSET', k, 'status', 'dead', 'error', why, 'next_at', '')
        redis.call('ZADD', key('deliveries:ended'), req.now, id)
        redis.call('HINCRBY', key('webhooks:stats'), dept .. ':dead', 1)
        redis.call('HINCRBY', key('webhooks:stats'), dept .. ':pending', -1)
      else
        redis.call('ZADD', due_key, req.now + req.lease, id)
        if hget(k, 'event') == 'alert.trend' then
          -- a trend alert to the leaders: its 'task' is the alert's id
          local p, t = hget(k, 'task'):match('^([^:]+):(.+)$')
          out[#out + 1] = {redis.call('HGETALL', k),
            redis.call('HGETALL', key('alert', p or '', t or '')), {}}
        else
          local task = redis.call('HGETALL', key('task', hget(k, 'task')))
          local issues = {}
          local list = hget(key('task', hget(k, 'task')), 'issues')
          if list and list ~= '[]' then
            issues = hashes('issue:', cjson.decode(list))
          end
          out[#out + 1] = {redis.call('HGETALL', k), task, issues}
        end
      end
    end
  end
  return out
end

-- done: the outcome of one attempt, for each delivery it carried (several
-- when merged): delivered, retry (at req.next_at), dead, or gone (410: the
-- endpoint is disabled too).
local function done()
  local stats = key('webhooks:stats')
  for _, id in ipairs(req.ids) do
    local k = key('delivery', id)
    local dept = hget(k, 'department')
    if dept then
      redis.call('RPUSH', k .. ':attempts', cjson.encode(req.attempt))
      redis.call('HINCRBY', k, 'attempts', 1)
      redis.call('HSET', k, 'error', req.attempt.error or '')
      if req.outcome ~= 'retry' then
        redis.call('HINCRBY', stats, dept .. ':pending', -1)
        redis.call('ZADD', key('deliveries:ended'), req.now, id)
      end
      if req.outcome == 'delivered' then
        redis.call('HSET', k, 'status', 'delivered', 'next_at', '')
        redis.call('ZREM', key('deliveries:due', dept), id)
        redis.call('HINCRBY', stats, dept .. ':delivered', 1)
      elseif req.outcome == 'retry' then
        redis.call('HSET', k, 'status', 'pending', 'next_at', req.next_at)
        redis.call('ZADD', key('deliveries:due', dept), req.next_at, id)
        redis.call('HINCRBY', stats, dept .. ':retried', 1)
      else
        redis.call('HSET', k, 'status', 'dead', 'next_at', '')
        redis.call('ZREM', key('deliveries:due', dept), id)
        redis.call('HINCRBY', stats, dept .. ':dead', 1)
        if req.outcome == 'gone' then
          redis.call('HSET', key('webhooks:disabled'), dept,
            'the endpoint answered 410 Gone')
        end
      end
    end
  end
  return #req.ids
end

-- defer: try again at req.at (the endpoint is busy).
local function defer()
  local k = key('delivery', req.id)
  local dept = hget(k, 'department')
  if not dept then return 0 end
  redis.call('ZADD', key('deliveries:due', dept), 'XX', req.at, req.id)
  redis.call('HSET', k, 'next_at', req.at)
  return 1
end

-- Make delivery id (of dept) pending and due now.
local function requeue(id, dept)
  local k = key('delivery', id)
  if hget(k, 'status') ~= 'pending' then
    redis.call('HINCRBY', key('webhooks:stats'), dept .. ':pending', 1)
  end
  redis.call('HSET', k, 'status', 'pending', 'next_at', req.now)
  redis.call('ZREM', key('deliveries:ended'), id)
  redis.call('ZADD', key('deliveries:due', dept), req.now, id)
  redis.call('SADD', key('deliveries:depts'), dept)
end

-- retry: an admin asks for another attempt now; this re-enables a
-- department whose endpoint was disabled.
local function retry()
  local dept = hget(key('delivery', req.id), 'department')
  if not dept then return {'not_found', 'no such delivery'} end
  redis.call('HDEL', key('webhooks:disabled'), dept)
  requeue(req.id, dept)
  return {'ok', req.id}
end

-- retry_dead: every dead delivery of req.department, at most req.limit
-- (newest first), again now, as retry does one. Returns {'ok', count,
-- '1' when more dead ones remain}.
local function retry_dead()
  local dept, n, start = req.department, 0, 0
  redis.call('HDEL', key('webhooks:disabled'), dept)
  while true do
    local ids = redis.call('ZREVRANGE', key('deliveries:dept', dept), start,
      start + 255)
    if #ids == 0 then break end
    for _, d in ipairs(ids) do
      if redis.call('HGET', key('delivery', d), 'status') == 'dead' then
        if n == req.limit then return {'ok', tostring(n), '1'} end
        requeue(d, dept)
        n = n + 1
      end
    end
    start = start + 256
  end
  return {'ok', tostring(n), '0'}
end

-- ---- retention (SPEC §14): what the sweep removes ----

-- The lease that makes one daemon at a time the sweeper: taken when free,
-- kept (and lengthened) by its holder, refused to the others.
local function sweep_lease()
  local k = key('retention:lease')
  if redis.call('SET', k, req.owner, 'NX', 'PX', req.lease) then
    return true
  end
  if redis.call('GET', k) ~= req.owner then return false end
  redis.call('PEXPIRE', k, req.lease)
  return true
end

-- Deliveries that ended before req.before go, with their attempts. Those
-- that ended before the index existed are entered now, so they are kept
-- the full time from today.
local function sweep_deliveries()
  local ended, n = key('deliveries:ended'), 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', ended, '-inf', req.before,
      'LIMIT', 0, req.limit)) do
    local k = key('delivery', id)
    local dept = hget(k, 'department')
    redis.call('ZREM', ended, id)
    if dept and hget(k, 'status') ~= 'pending' then
      redis.call('DEL', k, k .. ':attempts')
      redis.call('ZREM', key('deliveries'), id)
      redis.call('ZREM', key('deliveries:dept', dept), id)
      n = n + 1
    end
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key('deliveries'), '-inf',
      req.before, 'LIMIT', 0, req.limit)) do
    local status = hget(key('delivery', id), 'status')
    if status ~= 'pending' and not redis.call('ZSCORE', ended, id) then
      redis.call('ZADD', ended, req.now, id)
    end
  end
  return n
end

-- The stream id right after id ("ms-seq").
local function next_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end

-- Outbox entries every daemon has read and enqueued (acknowledged) go:
-- all before the oldest still pending, or before the group's last read;
-- at most req.limit a call, so that a long backlog (the first sweep after
-- an upgrade) never holds Redis for long.
local function sweep_outbox()
  local box, last = key('outbox'), nil
  if redis.call('EXISTS', box) == 0 then return 0 end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', box)) do
    local f = {}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    if f.name == 'webhooks' then last = f['last-delivered-id'] end
  end
  if not last then return 0 end
  local pending = redis.call('XPENDING', box, 'webhooks')
  local minid = next_id(last)
  if tonumber(pending[1]) > 0 then minid = pending[2] end
  local old = redis.call('XRANGE', box, '-', '(' .. minid, 'COUNT', req.limit)
  if #old == 0 then return 0 end
  if #old == req.limit then minid = next_id(old[#old][1]) end
  return redis.call('XTRIM', box, 'MINID', minid)
end

-- sweep: one batch of what retention removes. Returns {'ok', deliveries,
-- outbox entries, '1' when either was a full batch}, or {'busy', ''} when
-- another daemon holds the lease.
local function sweep()
  if not sweep_lease() then return {'busy', ''} end
  local d = sweep_deliveries()
  local o = sweep_outbox()
  local more = (d >= req.limit or o >= req.limit) and '1' or '0'
  return {'ok', tostring(d), tostring(o), more}
end

return dispatch('deliver.lua', {enqueue = enqueue, claim = claim, done = done,
  defer = defer, retry = retry, retry_dead = retry_dead, sweep = sweep},
  action)
