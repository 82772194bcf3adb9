-- ledger.lua -- the rows of a ledger (台账): a set of issues, each with its
-- tasks, read in one step so that the figures computed from them agree.
--
-- ARGV: prefix, kind, then the kind's arguments.
--   period P [START COUNT]  the issues reported for half-month P, or
--                   COUNT of them from the START-th (oldest first): the
--                   daemon reads a large period a slice at a time, so that
--                   no one call holds Redis for long; a slice starts with
--                   'seq:N', the period's change sequence when it was read
--   changes P SINCE COUNT PAST UPTO  at most COUNT of the issues of P
--                   changed after sequence SINCE and up to UPTO ('': the
--                   period's sequence now, given back as 'upto:N'), from
--                   P ledger:changed:P (prelude.lua's ledger_flush), after
--                   'seq:N', the sequence they bring the reader to; an
--                   issue gone is 'gone:ID'. An issue changed again moves
--                   above UPTO, so a catch-up in several calls meets each
--                   issue once. When these are all the changes up to UPTO,
--                   the period's tail follows (below)
--   range FROM TO [START COUNT]  the issues created in [FROM, TO) (ms)
--   resolved FROM TO [START COUNT]  the issues a task of which was last
--                   resolved in [FROM, TO)
--   active [START COUNT]  every issue that is not closed
--                   With START COUNT (the digest, digest_collect.c): COUNT
--                   of them from START (0 first), after 'next:N', the
--                   START of the next slice (range and resolved: a score
--                   and how many of its ids were read, SCORE:SKIP), or
--                   'next:' after the last: a
--                   province's 10^6 issues are read a slice at a time, so
--                   that no one call holds Redis for long. An issue that
--                   changes state between two slices of 'active' may be
--                   met twice (ledger_sort keeps one) or not at all.
-- Returns {{issue fields (flat), {task fields (flat), ...}}, ...} in no
-- particular order (ledger.c sorts them). The tasks are the issue's record
-- (prelude.lua's record_tasks): a task returned before a re-route stays its
-- department's, and carries past = 1 (no longer one of its current
-- tasks). Merged and withdrawn tasks are left out: their work lives
-- on in the task they were merged into. A period's rows are followed by
-- the string 'carried:P' and the rows of the issues of earlier periods not
-- yet closed (carry-over, SPEC §12), at most CARRIED of each state, oldest
-- first. When the period is frozen, its snapshot comes first, as the
-- string 'snapshot:' .. JSON, so that the cached ledger holds it and the
-- public ledger needs no read of its own for it.
local P = ARGV[1]
local kind = ARGV[2]

-- The value of field in a flat HGETALL reply, or nil.
local function field(flat, name)
  for i = 1, #flat, 2 do
    if flat[i] == name then return flat[i + 1] end
  end
  return nil
end

local function row(id)
  local issue = redis.call('HGETALL', P .. 'issue:' .. id)
  if #issue == 0 then return nil end
  local tasks, current = {}, {}
  for _, t in ipairs(decode_list(field(issue, 'tasks'))) do
    current[t] = true
  end
  for _, t in ipairs(record_tasks(P .. 'issue:' .. id)) do
    local task = redis.call('HGETALL', P .. 'task:' .. t)
    local state = field(task, 'state')
    if #task > 0 and state ~= 'merged' and state ~= 'withdrawn' then
      if not current[t] then
        task[#task + 1] = 'past'
        task[#task + 1] = '1'
      end
      tasks[#tasks + 1] = task
    end
  end
  return {issue, tasks}
end

local ids
-- A period read in slices ends with the first slice that is not full: the
-- carried-over rows come once, with that one (ledger_cache.c reads on
-- while a slice is full).
local last = true
local out = {}
local gone = false
if kind == 'period' then
  local start, count = tonumber(ARGV[4] or '0'), tonumber(ARGV[5] or '0')
  ids = redis.call('ZRANGE', P .. 'issues:period:' .. ARGV[3], start,
    count > 0 and start + count - 1 or -1)
  last = count == 0 or #ids < count
  if count > 0 then
    out[1] = 'seq:' .. (redis.call('HGET', P .. 'ledger:seq', ARGV[3]) or 0)
  end
elseif kind == 'changes' then
  local count = tonumber(ARGV[5])
  local upto = ARGV[7] ~= '' and ARGV[7] or
    (redis.call('HGET', P .. 'ledger:seq', ARGV[3]) or '0')
  local got = redis.call('ZRANGEBYSCORE', P .. 'ledger:changed:' .. ARGV[3],
    '(' .. ARGV[4], upto, 'WITHSCORES', 'LIMIT', 0, count)
  ids = {}
  for i = 1, #got, 2 do ids[#ids + 1] = got[i] end
  last = #ids < count
  out[1] = 'seq:' .. (last and upto or got[#got])
  out[2] = 'upto:' .. upto
  gone = true
elseif kind == 'range' or kind == 'resolved' then
  local count = tonumber(ARGV[6] or '0')
  local index = kind == 'range' and 'issues' or 'issues:resolved'
  if count > 0 then
    -- START is 0, then the 'SCORE:SKIP' the last slice named: go on from
    -- its last score, past the ids of that score already read (an offset
    -- would walk every id before it: n^2 over a week of 10^5 issues)
    local from, skip = ARGV[3], 0
    local at, n = string.match(ARGV[5] or '', '^(%d+):(%d+)$')
    if at then from, skip = at, tonumber(n) end
    local got = redis.call('ZRANGEBYSCORE', P .. index, from,
      '(' .. ARGV[4], 'WITHSCORES', 'LIMIT', skip, count)
    ids = {}
    for i = 1, #got, 2 do ids[#ids + 1] = got[i] end
    if #ids < count then
      out[1] = 'next:'
    else
      local last, same = got[#got], 0
      for i = #got, 2, -2 do
        if got[i] ~= last then break end
        same = same + 1
      end
      if last == from then same = same + skip end
      out[1] = 'next:' .. last .. ':' .. same
    end
  else
    ids = redis.call('ZRANGEBYSCORE', P .. index, ARGV[3], '(' .. ARGV[4])
  end
elseif kind == 'active' then
  -- the open states' indexes one after another; a slice's START counts
  -- through all of them
  local start, count = tonumber(ARGV[3] or '0'), tonumber(ARGV[4] or '0')
  local skip = start
  ids = {}
  for _, s in ipairs({'queued', 'claimed', 'responded', 'resolved',
      'returned'}) do
    local k = P .. 'issues:state:' .. s
    if count == 0 then
      for _, id in ipairs(redis.call('ZRANGE', k, 0, -1)) do
        ids[#ids + 1] = id
      end
    elseif #ids < count then
      local n = redis.call('ZCARD', k)
      if skip >= n then
        skip = skip - n
      else
        for _, id in ipairs(redis.call('ZRANGE', k, skip,
            skip + count - #ids - 1)) do
          ids[#ids + 1] = id
        end
        skip = 0
      end
    end
  end
  if count > 0 then
    out[1] = 'next:' .. (#ids < count and '' or start + count)
  end
else
  return redis.error_reply('ledger.lua: unknown kind ' .. tostring(kind))
end

for _, id in ipairs(ids) do
  local r = row(id)
  if r then
    out[#out + 1] = r
  elseif gone then
    out[#out + 1] = 'gone:' .. id
  end
end
if (kind == 'period' or kind == 'changes') and last then
  local CARRIED = 200
  local frozen = redis.call('GET', P .. 'snapshot:' .. ARGV[3])
  if frozen then out[#out + 1] = 'snapshot:' .. frozen end
  out[#out + 1] = 'carried:' .. ARGV[3]
  for _, s in ipairs({'queued', 'claimed', 'responded', 'resolved',
      'returned'}) do
    for _, id in ipairs(redis.call('ZRANGE', P .. 'issues:state:' .. s, 0,
        CARRIED - 1)) do
      local period = redis.call('HGET', P .. 'issue:' .. id, 'period')
      if period and period < ARGV[3] then
        local r = row(id)
        if r then out[#out + 1] = r end
      end
    end
  end
  -- ARGV[6] (ledger_cache.c): earlier periods, oldest first, each as
  -- 'past:P:' and the zone's total as frozen ('' when not frozen), for
  -- /ledger's line. workflow.lua's snapshot keeps the totals apart; a
  -- snapshot frozen before that is read whole.
  for p in (ARGV[6] or ''):gmatch('%S+') do
    local total = redis.call('HGET', P .. 'snapshot:totals', p)
    if not total then
      local ok, doc = pcall(cjson.decode,
        redis.call('GET', P .. 'snapshot:' .. p) or '')
      total = ok and type(doc) == 'table' and type(doc.total) == 'table'
        and cjson.encode(doc.total) or ''
    end
    out[#out + 1] = 'past:' .. p .. ':' .. total
  end
end
return out
