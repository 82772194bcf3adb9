-- window_seed.lua -- tests/bench/window_start's seeder: COUNT open issues
-- from the FIRST-th, written straight into Redis as far as the daemon's
-- window reads them (the issue hash, every field submit writes, and the
-- issues index; no tasks, history or other indexes), all in topic hiring,
-- created evenly between now - span and now.
--
-- ARGV: prefix, first, count, total, now (ms), span (ms), periods
-- ("P:START_MS" space-separated, newest first: an issue's period is the
-- first that started before it), text ("near": one title for all and a
-- detail that differs in two characters, the window's worst case; "pool":
-- characters drawn from a pool, as different problems' texts).
local P = ARGV[1]
local first, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local total, now, span = tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6])
local periods, kind = {}, ARGV[8]
for p, s in ARGV[7]:gmatch('(%S+):(%d+)') do
  periods[#periods + 1] = {p, tonumber(s)}
end
-- The texts are digest_seed.lua's: window_start puts its POOL, NPOOL and
-- text() before this file; they draw from the pool's first WINDOW_POOL
-- characters here.
local WINDOW_POOL = 94
NPOOL = WINDOW_POOL
local function pool_char(c)
  return string.sub(POOL, 3 * c + 1, 3 * c + 3)
end
-- The period of an issue created at ms: the newest that started before.
local function period_of(ms)
  for _, p in ipairs(periods) do
    if ms >= p[2] then return p[1] end
  end
  return periods[#periods][1]
end

for i = first, first + count - 1 do
  local created = math.floor(now - span + span * i / total)
  local id, period, title, detail = 'I' .. i, period_of(created)
  if kind == 'near' then
    title = '园区道路路灯损坏夜间通行困难'
    detail = '企业反映' .. pool_char(i % WINDOW_POOL) ..
      pool_char(math.floor(i / WINDOW_POOL) % WINDOW_POOL) ..
      '路段路灯损坏，员工夜班通勤不便，希望尽快维修'
  else
    title, detail = text(i, 14), text(i + 7777777, 30)
  end
  -- every field workflow.lua's submit writes, as many as a real issue has
  redis.call('HSET', P .. 'issue:' .. id, 'id', id, 'report', 'R' .. i,
    'officer', string.format('O%06d', i % 1000 + 1), 'enterprise', 'E' .. i,
    'topic', 'hiring', 'title', title, 'detail', detail, 'difficult', '0',
    'period', period, 'category', 'individual', 'category_by', 'rule',
    'state', 'queued', 'departments', '["D01"]', 'tasks', '["T' .. i .. '"]',
    'group', '', 'reopens', '0', 'created', created)
  redis.call('ZADD', P .. 'issues', created, id)
end
return count
