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
--   P deliveries:due        sorted set: pending deliveries by when to try
--   P webhooks:disabled     hash: department -> why (an endpoint said 410)
--   P webhooks:stats        hash: "DEPT:delivered|retried|dead" counters
--                           and "DEPT:pending", the deliveries not yet
--                           delivered or dead
--   P webhooks:next         hash: department -> when its chat robot may
--                           get the next message (ms)
local P = ARGV[1]
local action = ARGV[2]
local req = cjson.decode(ARGV[3])

local function key(...) return P .. table.concat({...}, ':') end
local function hget(k, f)
  local v = redis.call('HGET', k, f)
  if v == false then return nil end
  return v
end

-- enqueue: outbox entries (read through the consumer group) become
-- deliveries due now; the entries are acknowledged in the same step.
local function enqueue()
  for _, e in ipairs(req.entries) do
    local k = key('delivery', e.id)
    if redis.call('EXISTS', k) == 0 then
      redis.call('HSET', k, 'id', e.id, 'event', e.event, 'task', e.task,
        'department', e.department, 'issue', e.issue, 'created', req.now,
        'status', 'pending', 'attempts', 0, 'next_at', req.now, 'error', '')
      redis.call('ZADD', key('deliveries:due'), req.now, e.id)
      redis.call('ZADD', key('deliveries'), req.now, e.id)
      redis.call('ZADD', key('deliveries:dept', e.department), req.now, e.id)
      redis.call('HINCRBY', key('webhooks:stats'), e.department .. ':pending',
        1)
    end
    redis.call('XACK', key('outbox'), 'webhooks', e.id)
  end
  return #req.entries
end

local function hashes(prefix, ids)
  local out = {}
  for _, x in ipairs(ids) do
    out[#out + 1] = redis.call('HGETALL', P .. prefix .. x)
  end
  return out
end

-- claim: the due deliveries (at most limit), each leased for lease ms, with
-- the task and issues a message is made of. A delivery to a disabled
-- endpoint is not sent: it is dead until an admin retries it.
--
-- Chat robots accept a few messages a minute: req.pace gives, for each
-- such department, the least time between two messages. A delivery that
-- comes too soon is moved to the department's next turn, where everything
-- that waited is claimed together and sent as one merged message.
local function claim()
  local due = redis.call('ZRANGEBYSCORE', key('deliveries:due'), '-inf',
    req.now, 'LIMIT', 0, req.limit)
  local out, turn = {}, {}
  for _, id in ipairs(due) do
    local k = key('delivery', id)
    local dept = hget(k, 'department')
    local why = dept and hget(key('webhooks:disabled'), dept)
    local pace = dept and req.pace[dept]
    local wait = nil
    if pace and not turn[dept] then
      local next_ok = tonumber(hget(key('webhooks:next'), dept) or '0')
      if next_ok > req.now then
        wait = next_ok
      else
        turn[dept] = true
        redis.call('HSET', key('webhooks:next'), dept, req.now + pace)
      end
    end
    if not dept then
      redis.call('ZREM', key('deliveries:due'), id)
    elseif why then
      redis.call('ZREM', key('deliveries:due'), id)
      redis.call('HSET', k, 'status', 'dead', 'error', why)
      redis.call('HINCRBY', key('webhooks:stats'), dept .. ':dead', 1)
      redis.call('HINCRBY', key('webhooks:stats'), dept .. ':pending', -1)
    elseif wait then
      redis.call('ZADD', key('deliveries:due'), wait, id)
    else
      redis.call('ZADD', key('deliveries:due'), req.now + req.lease, id)
      local task = redis.call('HGETALL', key('task', hget(k, 'task')))
      local issues = {}
      local list = hget(key('task', hget(k, 'task')), 'issues')
      if list and list ~= '[]' then
        issues = hashes('issue:', cjson.decode(list))
      end
      out[#out + 1] = {redis.call('HGETALL', k), task, issues}
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
      end
      if req.outcome == 'delivered' then
        redis.call('HSET', k, 'status', 'delivered', 'next_at', '')
        redis.call('ZREM', key('deliveries:due'), id)
        redis.call('HINCRBY', stats, dept .. ':delivered', 1)
      elseif req.outcome == 'retry' then
        redis.call('HSET', k, 'status', 'pending', 'next_at', req.next_at)
        redis.call('ZADD', key('deliveries:due'), req.next_at, id)
        redis.call('HINCRBY', stats, dept .. ':retried', 1)
      else
        redis.call('HSET', k, 'status', 'dead', 'next_at', '')
        redis.call('ZREM', key('deliveries:due'), id)
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
  redis.call('ZADD', key('deliveries:due'), 'XX', req.at, req.id)
  return 1
end

-- retry: an admin asks for another attempt now; this re-enables a
-- department whose endpoint was disabled.
local function retry()
  local k = key('delivery', req.id)
  local dept = hget(k, 'department')
  if not dept then return {'not_found', 'no such delivery'} end
  redis.call('HDEL', key('webhooks:disabled'), dept)
  if hget(k, 'status') ~= 'pending' then
    redis.call('HINCRBY', key('webhooks:stats'), dept .. ':pending', 1)
  end
  redis.call('HSET', k, 'status', 'pending', 'next_at', req.now)
  redis.call('ZADD', key('deliveries:due'), req.now, req.id)
  return {'ok', req.id}
end

if action == 'enqueue' then return enqueue() end
if action == 'claim' then return claim() end
if action == 'done' then return done() end
if action == 'defer' then return defer() end
if action == 'retry' then return retry() end
return redis.error_reply('deliver.lua: unknown action ' .. tostring(action))
