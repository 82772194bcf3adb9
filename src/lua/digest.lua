-- digest.lua -- the weekly digest's bookkeeping: which week is to be built,
-- the built messages, and which recipients have them. Each action is one
-- transaction, so a week is built by one daemon at a time, each message is
-- handed to one sender at a time (claiming moves it a lease into the
-- future), and a message marked sent is never sent again unless an admin
-- asks for the whole week again (a new run).
--
-- ARGV: prefix, action, payload (JSON).
-- Keys (P = prefix, W = an ISO week such as 2026-W48):
--   P digest:W            hash: run (1, 2 ... one per request), state
--                         (requested|building|sending|done), requested_by,
--                         requested_at, builder, build_until, built_at,
--                         units, sent, refused, done_at
--   P digest:W:mail:NAME  hash: run, subject, text, html, rcpts (JSON list
--                         of {email, name}); NAME is dept:ID or zone
--   P digest:W:units      hash: "NAME|i" -> JSON {state (pending|sent|
--                         refused), attempts, error, at}; one per recipient
--   P digest:requested    set of the weeks waiting to be built
--   P digest:due          sorted set: "W|run|NAME|i" by when to try (ms)
--   P digest:since        when the schedule first ran (ms): weeks that
--                         ended before it are only sent on request
local action = ARGV[2]
local req = cjson.decode(ARGV[3])

-- key, hget and dispatch are prelude.lua's.

-- request {week, by, now}: (re)send a week: a new run, built afresh.
local function request()
  local k = key('digest', req.week)
  local run = redis.call('HINCRBY', k, 'run', 1)
  redis.call('HSET', k, 'state', 'requested', 'requested_by', req.by,
    'requested_at', req.now, 'sent', 0, 'refused', 0, 'units', 0)
  redis.call('SADD', key('digest:requested'), req.week)
  return {req.week, tostring(run)}
end

-- next {week, week_end, due, now, builder, lease}: when due, the scheduled
-- week is requested once (never again once it has a run), unless it ended
-- before the schedule first ran (digest:since: a first start does not mail
-- last week's empty digest); then hand out one requested week to build:
-- {week, run}, or nil. A builder that died keeps its week only until its
-- lease ends.
local function next_week()
  local since = tonumber(redis.call('GET', key('digest:since')) or '')
  if not since then
    since = req.now
    redis.call('SET', key('digest:since'), since)
  end
  if req.due and req.week_end > since and
      redis.call('HEXISTS', key('digest', req.week), 'run') == 0 then
    req.by = 'schedule'
    request()
  end
  for _, w in ipairs(redis.call('SMEMBERS', key('digest:requested'))) do
    local k = key('digest', w)
    local state = hget(k, 'state')
    local until_ = tonumber(hget(k, 'build_until') or '0')
    if state == 'requested' or (state == 'building' and until_ < req.now) then
      redis.call('HSET', k, 'state', 'building', 'builder', req.builder,
        'build_until', req.now + req.lease)
      return {w, hget(k, 'run')}
    end
    if state ~= 'building' then
      redis.call('SREM', key('digest:requested'), w)
    end
  end
  return nil
end

-- store {week, run, builder, now, mails: [{name, subject, text, html,
-- rcpts}]}: keep the built messages and make every recipient due now.
-- Refused (0) when the week was requested again or taken over meanwhile.
local function store()
  local k = key('digest', req.week)
  if hget(k, 'run') ~= tostring(req.run) or hget(k, 'state') ~= 'building'
      or hget(k, 'builder') ~= req.builder then
    return 0
  end
  -- A former run's messages are not sent any more.
  local pre = req.week .. '|'
  for _, m in ipairs(redis.call('ZRANGE', key('digest:due'), 0, -1)) do
    if string.sub(m, 1, #pre) == pre then
      redis.call('ZREM', key('digest:due'), m)
    end
  end
  redis.call('DEL', key('digest', req.week, 'units'))
  local units = 0
  for _, m in ipairs(req.mails) do
    redis.call('DEL', key('digest', req.week, 'mail', m.name))
    redis.call('HSET', key('digest', req.week, 'mail', m.name), 'run',
      req.run, 'subject', m.subject, 'text', m.text, 'html', m.html,
      'rcpts', cjson.encode(m.rcpts))
    for i = 1, #m.rcpts do
      local u = m.name .. '|' .. i
      redis.call('HSET', key('digest', req.week, 'units'), u,
        cjson.encode({state = 'pending', attempts = 0, error = '', at = 0}))
      redis.call('ZADD', key('digest:due'), req.now,
        req.week .. '|' .. req.run .. '|' .. u)
      units = units + 1
    end
  end
  redis.call('HSET', k, 'state', units > 0 and 'sending' or 'done',
    'built_at', req.now, 'units', units, 'sent', 0, 'refused', 0)
  if units == 0 then redis.call('HSET', k, 'done_at', req.now) end
  redis.call('HDEL', k, 'builder', 'build_until')
  redis.call('SREM', key('digest:requested'), req.week)
  return units
end

local function split(s)
  local out = {}
  for part in string.gmatch(s, '[^|]+') do out[#out + 1] = part end
  return out
end

-- claim {now, lease}: the oldest due recipient, leased to the caller:
-- {member, week, name, email, rcpt name, subject, text, html, attempts}, or
-- nil. Entries of a former run are dropped on the way.
local function claim()
  while true do
    local due = redis.call('ZRANGEBYSCORE', key('digest:due'), '-inf',
      req.now, 'LIMIT', 0, 1)
    if #due == 0 then return nil end
    local m = due[1]
    local f = split(m)
    local week, run, name, i = f[1], f[2], f[3], tonumber(f[4])
    local mk = key('digest', week, 'mail', name)
    local unit = hget(key('digest', week, 'units'), name .. '|' .. i)
    -- The week's run decides: a resend raises it before the new messages
    -- are stored, and the old ones must not go out in between.
    if hget(key('digest', week), 'run') ~= run or hget(mk, 'run') ~= run or
        unit == nil then
      redis.call('ZREM', key('digest:due'), m)
    else
      local u = cjson.decode(unit)
      if u.state ~= 'pending' then
        redis.call('ZREM', key('digest:due'), m)
      else
        redis.call('ZADD', key('digest:due'), req.now + req.lease, m)
        local r = cjson.decode(hget(mk, 'rcpts'))[i]
        return {m, week, name, r.email, r.name or '', hget(mk, 'subject'),
          hget(mk, 'text'), hget(mk, 'html'), tostring(u.attempts)}
      end
    end
  end
end

-- done {member, now, ok, permanent, error, delay}: the outcome of one
-- attempt. Sent and refused (a 5xx) are final; anything else is tried
-- again after delay ms. Returns the week's state.
local function done()
  local f = split(req.member)
  local week, run, name, i = f[1], f[2], f[3], f[4]
  local k = key('digest', week)
  local uk = key('digest', week, 'units')
  local unit = hget(uk, name .. '|' .. i)
  if hget(k, 'run') ~= run or unit == nil then
    redis.call('ZREM', key('digest:due'), req.member)
    return 'stale'
  end
  local u = cjson.decode(unit)
  u.attempts = u.attempts + 1
  u.at = req.now
  u.error = req.error or ''
  if req.ok or req.permanent then
    u.state = req.ok and 'sent' or 'refused'
    redis.call('ZREM', key('digest:due'), req.member)
    redis.call('HINCRBY', k, req.ok and 'sent' or 'refused', 1)
    redis.call('HINCRBY', key('digest:stats'), req.ok and 'sent' or 'refused',
      1)
  else
    redis.call('ZADD', key('digest:due'), req.now + req.delay, req.member)
    redis.call('HINCRBY', key('digest:stats'), 'retried', 1)
  end
  redis.call('HSET', uk, name .. '|' .. i, cjson.encode(u))
  local finished = tonumber(hget(k, 'sent') or '0') +
    tonumber(hget(k, 'refused') or '0')
  if finished >= tonumber(hget(k, 'units') or '0') and
      hget(k, 'state') == 'sending' then
    redis.call('HSET', k, 'state', 'done', 'done_at', req.now)
  end
  return hget(k, 'state')
end

-- dead {from, to, limit}: the webhook deliveries created in [from, to)
-- that are dead now, oldest first: {count, {HGETALL ...} ...}.
local function dead()
  local out, n = {}, 0
  local ids = redis.call('ZRANGEBYSCORE', key('deliveries'), req.from,
    '(' .. req.to)
  for _, id in ipairs(ids) do
    local d = key('delivery', id)
    if hget(d, 'status') == 'dead' then
      n = n + 1
      if #out < req.limit then out[#out + 1] = redis.call('HGETALL', d) end
    end
  end
  return {n, out}
end

return dispatch('digest.lua', {request = request, next = next_week,
  store = store, claim = claim, done = done, dead = dead}, action)
