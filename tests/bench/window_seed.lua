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
-- seed_text.lua (put before this file) draws the texts: from its pool's
-- first WINDOW_POOL characters.
local WINDOW_POOL = 94
for i = first, first + count - 1 do
  local created = math.floor(now - span + span * i / total)
  local period = periods[#periods][1]
  for _, p in ipairs(periods) do
    if created >= p[2] then period = p[1]; break end
  end
  local id, title, detail = 'I' .. i
  if kind == 'near' then
    title = '园区道路路灯损坏夜间通行困难'
    detail = '企业反映' .. pool_char(i % WINDOW_POOL) ..
      pool_char(math.floor(i / WINDOW_POOL) % WINDOW_POOL) ..
      '路段路灯损坏，员工夜班通勤不便，希望尽快维修'
  else
    title = text(i, 14, WINDOW_POOL)
    detail = text(i + 7777777, 30, WINDOW_POOL)
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
