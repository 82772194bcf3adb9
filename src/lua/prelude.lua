-- prelude.lua -- the helpers every script shares. embed.sh puts this file
-- in front of each script when it builds src/lua_scripts.c; each script is
-- still loaded on its own (SCRIPT LOAD), with these lines first. Only local
-- functions here, so that a script's own code starts right after them;
-- ARGV[1] is every script's key prefix.

-- The key PREFIX a:b:c of the parts a, b, c. Up to four parts are joined
-- without a table: a report builds some forty keys.
local function key(a, b, c, d, ...)
  if d == nil then
    if c ~= nil then return ARGV[1] .. a .. ':' .. b .. ':' .. c end
    if b ~= nil then return ARGV[1] .. a .. ':' .. b end
    return ARGV[1] .. a
  end
  if ... == nil then
    return ARGV[1] .. a .. ':' .. b .. ':' .. c .. ':' .. d
  end
  return ARGV[1] .. table.concat({a, b, c, d, ...}, ':')
end

-- A hash field, or nil (not false) when the key or the field is missing.
local function hget(k, field)
  local v = redis.call('HGET', k, field)
  if v == false then return nil end
  return v
end

-- A JSON list as the hashes keep it ('' or '[]' for none) as a table.
local function decode_list(text)
  if not text or text == '' or text == '[]' then return {} end
  return cjson.decode(text)
end

-- The ids of every task in an issue's record: its current tasks, then the
-- returned ones a re-route left behind (they stay the department's 退单).
local function record_tasks(issue_key)
  local ids = decode_list(hget(issue_key, 'tasks'))
  for _, t in ipairs(decode_list(hget(issue_key, 'returned_tasks'))) do
    ids[#ids + 1] = t
  end
  return ids
end

-- The hashes PREFIX..prefix..id of ids, flat as HGETALL gives them.
local function hashes(prefix, ids)
  local out = {}
  for _, x in ipairs(ids) do
    out[#out + 1] = redis.call('HGETALL', ARGV[1] .. prefix .. x)
  end
  return out
end

-- Is x one of the values of the array list?
local function has(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

-- ---- the ledger's change index (ledger_cache.c reads it) ----

-- The keys a script wrote through hwrite. A ledger row is an issue's hash
-- and its tasks' (ledger.lua's row): writing either changes the row.
local ledger_written = {}
-- What ledger_flush need not read: a task key's issue ids, an issue key's
-- period, noted (ledger_note) by the code that has just written them.
local ledger_known = {}

-- redis.call(cmd, k, ...) on a hash, noting k for ledger_flush.
local function hwrite(cmd, k, ...)
  ledger_written[k] = true
  -- (Lua 5.1 makes a key to hold even a nil: only when there is one)
  if ledger_known[k] ~= nil then ledger_known[k] = nil end
  return redis.call(cmd, k, ...)
end

-- After hwrite to k: what it holds (issues of a task, period of an issue).
local function ledger_note(k, v)
  ledger_known[k] = v
end

-- Record every issue whose row the script changed in its period's change
-- index: P ledger:changed:PERIOD, a sorted set of issue ids scored by the
-- period's sequence (P ledger:seq, a hash of period -> last number given),
-- one member per issue (a new change moves it on). A daemon holding a
-- period's ledger at sequence S reads only the members above S.
local function ledger_flush()
  local ids, seen = {}, {}
  local function add(id)
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  local from = #ARGV[1] + 1
  -- P issue:I and P task:T, by plain finds (a report writes five hashes)
  local function id_of(k, kind)
    local at = from + #kind
    if string.sub(k, from, at - 1) == kind and
        not string.find(k, ':', at, true) then
      return string.sub(k, at)
    end
    return nil
  end
  for k, _ in pairs(ledger_written) do
    local issue = id_of(k, 'issue:')
    local task = not issue and id_of(k, 'task:')
    if issue then add(issue) end
    if task then
      for _, i in ipairs(ledger_known[k] or decode_list(hget(k, 'issues'))) do
        add(i)
      end
    end
  end
  local known = ledger_known
  ledger_written, ledger_known = {}, {}
  table.sort(ids)   -- the same sequence numbers on a replica's replay
  local by_period, periods = {}, {}
  for _, id in ipairs(ids) do
    local ik = key('issue', id)
    local p = known[ik] or hget(ik, 'period')
    if p then
      if not by_period[p] then
        by_period[p] = {}
        periods[#periods + 1] = p
      end
      table.insert(by_period[p], id)
    end
  end
  for _, p in ipairs(periods) do
    local list = by_period[p]
    local last = redis.call('HINCRBY', key('ledger:seq'), p, #list)
    local args = {}
    for i, id in ipairs(list) do
      args[#args + 1] = last - #list + i
      args[#args + 1] = id
      if #args >= 1000 or i == #list then
        redis.call('ZADD', key('ledger:changed', p), unpack(args))
        args = {}
      end
    end
  end
end

-- Run actions[name], a script's entry points by name, and return its
-- answer (having run finish, if given, then recorded the ledger rows it
-- changed); an error reply naming script for an unknown name.
local function dispatch(script, actions, name, finish)
  -- nothing an earlier call of a Redis Function left (workflow.lua)
  ledger_written, ledger_known = {}, {}
  local fn = actions[name]
  if not fn then
    return redis.error_reply(script .. ': unknown action ' .. tostring(name))
  end
  if not finish then
    local out = fn()
    ledger_flush()
    return out
  end
  -- an action that fails half-way keeps what it wrote, held writes too
  local ok, out = pcall(fn)
  finish()
  ledger_flush()
  if not ok then error(out, 0) end
  return out
end

-- ---- field work (fieldwork.lua; workflow.lua stores a resolve's outcomes) ----

-- The issue an outcome record names may take: its officer and enterprise
-- fill the record's when empty. Returns nil, or an error reply when the
-- issue is missing, another officer's, or another enterprise's.
local function fw_outcome_issue(rec)
  local f = rec.fields
  if f.issue == '' then return nil end
  local h = redis.call('HMGET', key('issue', f.issue), 'officer', 'enterprise')
  if not h[1] then return {'invalid', 'no such issue', 'issue'} end
  if f.officer ~= '' and rec.own and h[1] ~= f.officer then
    return {'forbidden', 'this issue is not yours', 'issue'}
  end
  if f.enterprise ~= '' and f.enterprise ~= h[2] then
    return {'invalid', 'the issue is about another enterprise', 'enterprise'}
  end
  if f.officer == '' then f.officer = h[1] end
  if f.enterprise == '' then f.enterprise = h[2] end
  return nil
end

-- An officer's running totals, which performance.c reads instead of the
-- records: by day in P fw:o:O:YYYYMM and by month in P fw:o:O:YYYY (a
-- range's whole months read the year's hash, its cut edges the month's).
-- In each, for day or month DD 'DD:v' visits, 'DD:s' their suggestions,
-- 'DD:o:KIND' an outcome kind's amount, and 'e:ENTERPRISE' the days or
-- months it was visited (bit DD - 1). Every record adds through here: when
-- stored (fw_store) or counted again (fw_officer_built).
local function fw_officer_add(officer, rtype, date, enterprise, n, kind)
  local y, mm, dd = string.sub(date, 1, 4), string.sub(date, 6, 7),
    string.sub(date, 9, 10)
  for k, at in pairs({[key('fw', 'o', officer, y .. mm)] = dd,
      [key('fw', 'o', officer, y)] = mm}) do
    if rtype == 'visit' then
      redis.call('HINCRBY', k, at .. ':v', 1)
      redis.call('HINCRBY', k, at .. ':s', n)
      local mask = tonumber(redis.call('HGET', k, 'e:' .. enterprise) or '0')
      redis.call('HSET', k, 'e:' .. enterprise,
        bit.bor(mask, bit.lshift(1, tonumber(at) - 1)))
    elseif rtype == 'outcome' then
      redis.call('HINCRBY', k, at .. ':o:' .. kind, n)
    end
  end
end

-- Make sure officer o's running totals hold every record: an officer in the
-- set P fw:o:built has had them kept from its first record; one stored
-- before the totals were (an older liaisond) has them counted once from its
-- visits and outcomes here, the first time its performance is read.
local function fw_officer_built(o)
  local built = key('fw', 'o', 'built')
  if redis.call('SISMEMBER', built, o) == 1 then return end
  local recs, months = {}, {}
  for _, t in ipairs({'visit', 'outcome'}) do
    for _, id in ipairs(redis.call('ZRANGE', key(t .. 's:officer', o), 0,
        -1)) do
      local h = redis.call('HMGET', key(t, id), 'date', 'enterprise',
        'suggestions', 'amount', 'kind')
      if h[1] then
        recs[#recs + 1] = {t, h}
        for _, m in ipairs({string.sub(h[1], 1, 4), string.sub(h[1], 1, 4) ..
            string.sub(h[1], 6, 7)}) do
          if not months[m] then
            months[m] = true
            redis.call('DEL', key('fw', 'o', o, m))
          end
        end
      end
    end
  end
  for _, r in ipairs(recs) do
    local h = r[2]
    fw_officer_add(o, r[1], h[1], h[2] or '', h[3] or h[4] or '0', h[5])
  end
  redis.call('SADD', built, o)
end

-- Store a visit, talk or outcome record made by fieldwork.c (rec: type,
-- letter, day, month, fields, totals, visited) at time now by actor: its
-- hash, its history, its indexes by day, the day's and month's running
-- totals (and, for a visit, the enterprises visited), and for an outcome
-- the issue's list. Returns the record's id.
local function fw_store(rec, actor, now)
  local f = rec.fields
  local n = redis.call('HINCRBY', key('seq'), rec.type, 1)
  local id = rec.letter .. n
  local k = key(rec.type, id)
  local flat = {'id', id, 'created', now, 'by', actor}
  for name, v in pairs(f) do
    flat[#flat + 1] = name
    flat[#flat + 1] = v
  end
  redis.call('HSET', k, unpack(flat))
  redis.call('RPUSH', k .. ':history', cjson.encode({at = now, actor = actor,
    event = 'created', reason = rec.type .. ' of ' .. f.date}))
  local score = string.format('%.0f', tonumber(rec.day) * 1e8 + n % 1e8)
  local plural = rec.type .. 's'
  local indexes = {plural}
  if f.officer ~= '' then indexes[#indexes + 1] = plural .. ':officer:' .. f.officer end
  if f.enterprise and f.enterprise ~= '' then
    indexes[#indexes + 1] = plural .. ':enterprise:' .. f.enterprise
  end
  if f.kind then indexes[#indexes + 1] = plural .. ':kind:' .. f.kind end
  if f.officer ~= '' and rec.type ~= 'event' then
    -- an officer's first record starts its totals; older ones are counted
    -- again when first read (fw_officer_built)
    if redis.call('EXISTS', key('visits:officer', f.officer),
        key('outcomes:officer', f.officer)) == 0 then
      redis.call('SADD', key('fw', 'o', 'built'), f.officer)
    end
    fw_officer_add(f.officer, rec.type, f.date, f.enterprise or '',
      f.suggestions or f.amount, f.kind)
  end
  for _, ix in ipairs(indexes) do redis.call('ZADD', key(ix), score, id) end
  for _, t in ipairs(rec.totals) do
    redis.call('HINCRBY', key('fw', 'd', rec.day), t[1], t[2])
    redis.call('HINCRBY', key('fw', 'm', rec.month), t[1], t[2])
  end
  if rec.visited then
    redis.call('PFADD', key('fw', 'ent', 'd', rec.day), rec.visited)
    redis.call('PFADD', key('fw', 'ent', 'm', rec.month), rec.visited)
    local lk = key('fw', 'last', f.officer)
    local last = tonumber(redis.call('HGET', lk, rec.visited) or '0')
    if tonumber(rec.day) > last then
      redis.call('HSET', lk, rec.visited, rec.day)
    end
  end
  if f.issue and f.issue ~= '' then
    local ik = key('issue', f.issue)
    local list = decode_list(hget(ik, 'outcomes'))
    list[#list + 1] = {id = id, kind = f.kind, amount = rec.amount,
      date = f.date}
    hwrite('HSET', ik, 'outcomes', cjson.encode(list))
    redis.call('RPUSH', ik .. ':history', cjson.encode({at = now,
      actor = actor, event = 'outcome', reason = 'outcome ' .. id ..
      ' recorded: ' .. f.kind}))
  end
  return id
end

-- The sorted set ix walked newest first, 256 members a call (scores from
-- min to max, or all when min is nil): row(member) gives a result or nil to
-- pass the member over; the first offset results are skipped and at most
-- limit returned.
local function newest_rows(ix, min, max, offset, limit, row)
  local out, skipped, start = {}, 0, 0
  while #out < limit do
    local ids
    if min then
      ids = redis.call('ZREVRANGEBYSCORE', ix, max, min, 'LIMIT', start, 256)
    else
      ids = redis.call('ZREVRANGE', ix, start, start + 255)
    end
    if #ids == 0 then break end
    for _, m in ipairs(ids) do
      local v = row(m)
      if v ~= nil then
        if skipped < offset then
          skipped = skipped + 1
        else
          out[#out + 1] = v
          if #out >= limit then break end
        end
      end
    end
    start = start + 256
  end
  return out
end
