-- fieldwork.lua -- visits, talks and outcomes (SPEC §11): storing one
-- record with its history, indexes and running totals in one step, listing
-- them, and reading the totals and facts the figures and the officers'
-- performance are made of. fieldwork.c and figures.c / performance.c hold
-- every rule; this script stores and counts what the payload says.
--
-- ARGV: prefix, action, payload (JSON), then action-specific arguments.
--
-- Keys (P = prefix; T = visit | event | outcome):
--   P T:ID, P T:ID:history   the record (hash) and its history (list)
--   P Ts, P Ts:officer:O, P visits:enterprise:E, P outcomes:enterprise:E,
--   P events:kind:K, P outcomes:kind:K
--                            sorted sets of ids by day * 10^8 + number
--   P fw:d:DAY, P fw:m:YYYYMM  running totals of a day and of a month
--   P fw:ent:d:DAY, P fw:ent:m:YYYYMM  HyperLogLogs of enterprises visited
--   P fw:last:O              hash: enterprise -> day of O's last visit
--   P fw:o:O:YYYYMM, P fw:o:O:YYYY  hashes: O's running totals of a
--                            month by day, of a year by month
--   P fw:o:built             set: officers whose fw:o totals are complete
--   P idemfw:ACTOR:T:KEY     hash: body hash and the record's id
--   P fw:imported:SHA256     hash: when a file was imported, its ids
local action = ARGV[2]
local req = cjson.decode(ARGV[3])

-- key, hget, decode_list, dispatch, fw_store and fw_outcome_issue are
-- prelude.lua's.

-- record: store req.record. Extra ARGV: body hash, idempotency key ('' for
-- none), key lifetime in seconds. Returns {'created', fields} |
-- {'replay', fields} | {'conflict', msg} | {'invalid'|'forbidden', msg,
-- field}.
local function record()
  local rec = req.record
  local body_hash, idem, ttl = ARGV[4], ARGV[5], ARGV[6]
  local idem_key = key('idemfw', req.actor, rec.type, idem)
  if idem ~= '' then
    local prev = redis.call('HMGET', idem_key, 'body', 'id')
    if prev[1] then
      if prev[1] ~= body_hash then
        return {'conflict', 'this Idempotency-Key was already used with ' ..
          'a different body'}
      end
      return {'replay', redis.call('HGETALL', key(rec.type, prev[2]))}
    end
  end
  if rec.type == 'outcome' then
    local err = fw_outcome_issue(rec)
    if err then return err end
  end
  local id = fw_store(rec, req.actor, req.now)
  if idem ~= '' then
    redis.call('HSET', idem_key, 'body', body_hash, 'id', id)
    redis.call('EXPIRE', idem_key, tonumber(ttl))
  end
  return {'created', redis.call('HGETALL', key(rec.type, id))}
end

-- list: records of req.index (without the prefix) dated in [req.min,
-- req.max] (scores), newest first, whose fields equal req.match's, at most
-- req.limit after req.offset. Returns {{fields}, ...}.
local function list()
  return newest_rows(key(req.index), req.min, req.max, req.offset, req.limit,
    function(id)
      local k = key(req.type, id)
      for f, v in pairs(req.match) do
        if hget(k, f) ~= v then return nil end
      end
      return redis.call('HGETALL', k)
    end)
end

-- figures: the running totals of req.keys ('d:DAY' | 'm:YYYYMM') summed,
-- the enterprises visited in them, and the issues raised (by category)
-- and resolved in [req.from_ms, req.to_ms]. Returns {{field, total, ...},
-- enterprises visited, {count per req.categories}, resolved}.
local function figures()
  local sums, order, hll = {}, {}, {}
  for _, k in ipairs(req.keys) do
    local flat = redis.call('HGETALL', key('fw', k))
    for i = 1, #flat, 2 do
      if not sums[flat[i]] then
        sums[flat[i]] = 0
        order[#order + 1] = flat[i]
      end
      sums[flat[i]] = sums[flat[i]] + tonumber(flat[i + 1])
    end
    hll[#hll + 1] = key('fw', 'ent', k)
  end
  local out = {}
  for _, f in ipairs(order) do
    out[#out + 1] = f
    out[#out + 1] = string.format('%.0f', sums[f])
  end
  local visited = 0
  if #hll > 0 then visited = redis.call('PFCOUNT', unpack(hll)) end
  local cats = {}
  for _, c in ipairs(req.categories) do
    cats[#cats + 1] = redis.call('ZCOUNT', key('issues:category', c),
      req.from_ms, req.to_ms)
  end
  return {out, visited, cats, redis.call('ZCOUNT', key('issues:resolved'),
    req.from_ms, req.to_ms)}
end

-- performance: the raw facts of each officer of req.officers ({id}) for
-- performance.c: per officer {its totals by day of req.months (flat:
-- YYYYMM, {HGETALL of P fw:o:O:YYYYMM}, ... for those that exist), last
-- visit day per enterprise (flat), talks in [req.min, req.max], {issue
-- state, satisfaction ...} of issues raised in [req.from_ms, req.to_ms],
-- {report period, late ...} of reports since req.reports_from_ms, its
-- totals by month of req.years (flat, as the months)}. No visit or outcome
-- record is read (but once per officer stored before the totals were
-- kept: fw_officer_built).
local function performance()
  local out = {}
  for _, o in ipairs(req.officers) do
    fw_officer_built(o.id)
    local months, years = {}, {}
    for _, ask in ipairs({{req.months, months}, {req.years, years}}) do
      for _, m in ipairs(ask[1]) do
        local flat = redis.call('HGETALL', key('fw', 'o', o.id, m))
        if #flat > 0 then
          ask[2][#ask[2] + 1] = m
          ask[2][#ask[2] + 1] = flat
        end
      end
    end
    local issues = {}
    for _, id in ipairs(redis.call('ZRANGEBYSCORE',
        key('issues:officer', o.id), req.from_ms, req.to_ms)) do
      local h = redis.call('HMGET', key('issue', id), 'state',
        'satisfaction')
      issues[#issues + 1] = h[1] or ''
      issues[#issues + 1] = h[2] or ''
    end
    local reports = {}
    for _, id in ipairs(redis.call('ZRANGEBYSCORE',
        key('officer', o.id, 'reports'), req.reports_from_ms, '+inf')) do
      local h = redis.call('HMGET', key('report', id), 'period', 'late')
      reports[#reports + 1] = h[1] or ''
      reports[#reports + 1] = h[2] or '0'
    end
    out[#out + 1] = {months, redis.call('HGETALL', key('fw', 'last', o.id)),
      redis.call('ZCOUNT', key('events:officer', o.id), req.min, req.max),
      issues, reports, years}
  end
  return out
end

-- workbook: the period's records for the ledger workbook's field-work
-- sheets: {visits, talks, outcomes} (each as list returns them, at most
-- req.limit, newest first) dated in [req.min, req.max], then the
-- performance facts of req.officers (as performance returns them).
local function workbook()
  local out = {}
  for _, t in ipairs({'visit', 'event', 'outcome'}) do
    req.type = t
    req.index = t .. 's'
    req.match = {}
    req.offset = 0
    out[#out + 1] = list()
  end
  out[#out + 1] = performance()
  return out
end

-- import: the records of one file (liaisonctl visits import), all in one
-- step; a file already imported (req.file: its SHA-256) is refused.
-- Returns {'ok', count, first id, last id} | {'conflict', message}.
local function import()
  local done = key('fw', 'imported', req.file)
  if redis.call('EXISTS', done) == 1 then
    return {'conflict', 'this file was imported before, at ' ..
      redis.call('HGET', done, 'at')}
  end
  local first, last
  for _, rec in ipairs(req.records) do
    last = fw_store(rec, req.actor, req.now)
    first = first or last
  end
  redis.call('HSET', done, 'at', req.now, 'count', #req.records,
    'first', first or '', 'last', last or '')
  return {'ok', tostring(#req.records), first or '', last or ''}
end

-- last_visits: for each of req.officers (ids), its enterprises' last visit
-- days, flat (enterprise, day, ...), for the weekly digest.
local function last_visits()
  local out = {}
  for _, id in ipairs(req.officers) do
    out[#out + 1] = redis.call('HGETALL', key('fw', 'last', id))
  end
  return out
end

return dispatch('fieldwork.lua', {
  last_visits = last_visits,
  import = import,
  record = record,
  list = list,
  figures = figures,
  performance = performance,
  workbook = workbook,
}, action)
