-- digest_seed.lua -- tests/bench/digest's seeder: COUNT issues from the
-- FIRST-th, written straight into Redis in the shape workflow.lua's submit
-- gives them (the issue and task hashes and the indexes the ledger and the
-- digest read), a thousand times faster than reports through the daemon.
-- Not the workflow: no history, outbox, queues or deadlines index.
--
-- ARGV: prefix, first, count, total, now (ms), span (ms: issue 1 is
-- created span before now, the last one at now), officers (O000001 …),
-- departments (space-separated), periods ("P:START_MS" space-separated,
-- newest first: an issue's period is the first that started before it).
--
-- Issue i: department i mod D; state by i mod 10: 0-2 queued (every
-- third of them past its claim deadline), 3-4 claimed, 5 responded, 6-7
-- resolved, 8-9 closed; every tenth difficult; i and i+1 with i mod 20 ==
-- 10 a common group sharing one task (the digest counts it once).
local P = ARGV[1]
local first, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local total, now, span = tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6])
local officers = tonumber(ARGV[7])
local depts, periods = {}, {}
for d in ARGV[8]:gmatch('%S+') do depts[#depts + 1] = d end
for p, s in ARGV[9]:gmatch('(%S+):(%d+)') do
  periods[#periods + 1] = {p, tonumber(s)}
end
local states = {'queued', 'queued', 'queued', 'claimed', 'claimed',
  'responded', 'resolved', 'resolved', 'closed', 'closed'}
-- Titles and details are characters drawn from this pool (MINSTD on the
-- issue's number): texts that share few bigrams, as different problems'
-- do. Near-identical texts would make every issue a candidate for every
-- other in the daemon's window (similar_window.c), and its start-up, which
-- reads the open issues into it, a bench of its own.
local POOL = '企业用工招聘社保缴费税收优惠政策融资贷款担保园区道路交通公交' ..
  '厂房土地审批环评安全生产消防检查市场监管出口退税人才住房子女入学' ..
  '电力供应燃气供水排污管网物流运输仓储设备更新技术改造研发创新专利' ..
  '培训技能补贴稳岗扩岗订单原材料价格上涨资金周转应收账款拖欠纠纷调解'
local NPOOL = #POOL / 3
local function text(seed, n)
  local h, out = seed % 2147483646 + 1, {}
  for k = 1, n do
    h = h * 48271 % 2147483647
    local c = h % NPOOL
    out[k] = string.sub(POOL, 3 * c + 1, 3 * c + 3)
  end
  return table.concat(out)
end
local DAY = 86400000

for i = first, first + count - 1 do
  local created = math.floor(now - span + span * i / total)
  local period = periods[#periods][1]
  for _, p in ipairs(periods) do
    if created >= p[2] then period = p[1]; break end
  end
  local id, dept = 'I' .. i, depts[i % #depts + 1]
  local state = states[i % 10 + 1]
  local officer = string.format('O%06d', i % officers + 1)
  local category = i % 10 == 4 and 'difficult' or 'individual'
  local group, task = '', 'T' .. i
  if i % 20 == 10 or i % 20 == 11 then
    category = 'common'
    group = 'G' .. (i - i % 20 + 10)
    task = 'T' .. (i - i % 20 + 10)
  end
  local resolved = (state == 'resolved' or state == 'closed') and
    math.min(now, created + 2 * DAY) or ''
  redis.call('HSET', P .. 'issue:' .. id, 'id', id, 'report', 'R' .. i,
    'officer', officer, 'enterprise', 'E' .. i, 'topic', 'hiring',
    'title', text(i, 14), 'detail', text(i + 7777777, 30),
    'difficult', category == 'difficult' and '1' or '0', 'period', period,
    'category', category, 'category_by', 'rule', 'state', state,
    'departments', '["' .. dept .. '"]', 'tasks', '["' .. task .. '"]',
    'group', group, 'reopens', '0', 'created', created,
    'satisfaction', state == 'closed' and 'satisfied' or '')
  if task == 'T' .. i then
    local task_state = state == 'closed' and 'resolved' or state
    redis.call('HSET', P .. 'task:' .. task, 'id', task, 'department', dept,
      'issues', group ~= '' and '["' .. id .. '","I' .. (i + 1) .. '"]' or
      '["' .. id .. '"]', 'created', created, 'state', task_state,
      'claimant', task_state ~= 'queued' and '王科长' or '',
      'response', '', 'resolution', resolved ~= '' and '已协调办理' or '',
      'overdue', (state == 'queued' and i % 3 == 0) and 'claim' or '',
      'due_claim', created + DAY, 'due_respond', created + 5 * DAY,
      'due_resolve', created + 15 * DAY,
      'deadline', task_state == 'queued' and created + DAY or
        (task_state ~= 'resolved' and created + 15 * DAY or ''),
      'claimed_at', task_state ~= 'queued' and created + 3600000 or '',
      'responded_at', (task_state == 'responded' or resolved ~= '') and
        created + DAY or '',
      'resolved_at', resolved, 'returned_at', '')
  end
  for _, index in ipairs({'issues', 'issues:period:' .. period,
      'issues:officer:' .. officer, 'issues:category:' .. category,
      'issues:state:' .. state, 'issues:dept:' .. dept}) do
    redis.call('ZADD', P .. index, created, id)
  end
  if resolved ~= '' then
    redis.call('ZADD', P .. 'issues:resolved', resolved, id)
  end
  -- nine officers in ten have reported
  if i % officers % 10 ~= 9 then
    redis.call('SADD', P .. 'reported:' .. period, officer)
  end
end
return count
