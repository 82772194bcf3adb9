-- notify.lua -- officers' mail about their own issues: which officer's mail
-- is due, what it holds, and what became of it. workflow.lua queues the
-- events (P notify:pending:O) and sets when the officer's mail is due; each
-- action here is one transaction, so a batch is handed to one sender at a
-- time (claiming moves it a lease into the future) and, once sent, is
-- deleted in the same step that records it: sent once, across restarts
-- and daemons (a sender that dies mid-send leaves its batch to be sent
-- again when the lease ends).
--
-- ARGV: prefix, action, payload (JSON).
-- Keys (P = prefix, O = an officer id):
--   P notify:pending:O   list of JSON {at, event, issue, task}, not yet
--                        handed to a sender
--   P notify:sending:O   the batch being sent (pending, renamed on claim);
--                        later events wait in pending for the next mail
--   P notify:due         sorted set: officers by when to send (ms)
--   P notify:attempts    hash: O -> failed tries of the batch being sent
--   P notify:stats       hash: sent, refused, retried, skipped counters
--   P notify:reminded:PERIOD:KIND  set of the officers reminded (KIND:
--                        remind_early or remind_last), so each reminder
--                        goes once; it expires after REMINDED_TTL
--   P reported:PERIOD    (workflow.lua's) the officers who reported
local action = ARGV[2]
local req = cjson.decode(ARGV[3])
local REMINDED_TTL = 40 * 86400   -- seconds: past the period's end

-- key, hget and dispatch are prelude.lua's.

-- claim {now, lease}: the first officer whose mail is due, leased:
-- {officer, attempts, {entry JSON, ...}, {{issue title, state}, ...},
-- {{task department, response, resolution, return_reason}, ...}}, or nil.
local function claim()
  for _ = 1, 100 do
    local due = redis.call('ZRANGEBYSCORE', key('notify:due'), '-inf',
      req.now, 'LIMIT', 0, 1)
    if #due == 0 then return nil end
    local o = due[1]
    local sending = key('notify:sending', o)
    if redis.call('EXISTS', sending) == 0 and
        redis.call('EXISTS', key('notify:pending', o)) == 1 then
      redis.call('RENAME', key('notify:pending', o), sending)
    end
    if redis.call('EXISTS', sending) == 0 then
      redis.call('ZREM', key('notify:due'), o)
    else
      redis.call('ZADD', key('notify:due'), req.now + req.lease, o)
      local entries = redis.call('LRANGE', sending, 0, -1)
      local issues, tasks = {}, {}
      for i, e in ipairs(entries) do
        local x = cjson.decode(e)
        issues[i], tasks[i] = {}, {}     -- a reminder names no issue
        if x.issue then
          issues[i] = redis.call('HMGET', key('issue', x.issue), 'title',
            'state')
          tasks[i] = redis.call('HMGET', key('task', x.task), 'department',
            'response', 'resolution', 'return_reason')
        end
      end
      return {o, tostring(hget(key('notify:attempts'), o) or '0'), entries,
        issues, tasks}
    end
  end
  return nil
end

-- done {officer, now, outcome, delay, batch}: record a send. 'retried'
-- keeps the batch and tries again after delay; 'sent', 'refused' (a 5xx,
-- or too many tries) and 'skipped' (no email) end it, and events that
-- came meanwhile are due a batch from now.
local function done()
  local o = req.officer
  if req.outcome == 'retried' then
    redis.call('HINCRBY', key('notify:attempts'), o, 1)
    redis.call('ZADD', key('notify:due'), req.now + req.delay, o)
  else
    redis.call('DEL', key('notify:sending', o))
    redis.call('HDEL', key('notify:attempts'), o)
    if redis.call('EXISTS', key('notify:pending', o)) == 1 then
      redis.call('ZADD', key('notify:due'), req.now + req.batch, o)
    else
      redis.call('ZREM', key('notify:due'), o)
    end
  end
  redis.call('HINCRBY', key('notify:stats'), req.outcome, 1)
  return 1
end

-- remind {period, kind, now, officers}: queue reminder kind for each of
-- the officers who has not reported for period and was not reminded of
-- it yet (due now: a reminder waits for no batch). Returns how many.
local function remind()
  local seen = key('notify:reminded', req.period .. ':' .. req.kind)
  local n = 0
  for _, o in ipairs(req.officers) do
    if redis.call('SISMEMBER', key('reported', req.period), o) == 0 and
        redis.call('SADD', seen, o) == 1 then
      redis.call('RPUSH', key('notify:pending', o), cjson.encode({
        at = string.format('%.0f', req.now), event = req.kind, period = req.period}))
      redis.call('ZADD', key('notify:due'), 'NX', req.now, o)
      n = n + 1
    end
  end
  redis.call('EXPIRE', seen, REMINDED_TTL)
  return n
end

return dispatch('notify.lua', {claim = claim, done = done, remind = remind},
  action)
