-- list.lua -- one page of issues or reports that are in every one of the
-- given sorted-set indexes, newest first. The smallest index drives the walk
-- and the others are checked by ZSCORE, so the work is bounded by the
-- narrowest filter, not by the whole store.
--
-- ARGV: prefix, kind ('issues' | 'reports'), limit, offset, index names
-- (without the prefix). Returns an array; for issues each element is
-- {issue fields (flat), {task fields (flat), ...}}, for reports the flat
-- report fields.
local P = ARGV[1]
local kind = ARGV[2]
local limit = tonumber(ARGV[3])
local offset = tonumber(ARGV[4])
local indexes = {}
for i = 5, #ARGV do
  local key = P .. ARGV[i]
  indexes[#indexes + 1] = {key = key, size = redis.call('ZCARD', key)}
end
table.sort(indexes, function(a, b) return a.size < b.size end)

local function fetch(id)
  if kind == 'reports' then
    return redis.call('HGETALL', P .. 'report:' .. id)
  end
  local issue = redis.call('HGETALL', P .. 'issue:' .. id)
  local tasks = {}
  for _, t in ipairs(record_tasks(P .. 'issue:' .. id)) do
    tasks[#tasks + 1] = redis.call('HGETALL', P .. 'task:' .. t)
  end
  return {issue, tasks}
end

local out = {}
if #indexes == 0 or indexes[1].size == 0 or limit <= 0 then
  return out
end
local driver = indexes[1].key
local skipped, start, batch = 0, 0, 256
while #out < limit do
  local ids = redis.call('ZREVRANGE', driver, start, start + batch - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local wanted = true
    for j = 2, #indexes do
      if not redis.call('ZSCORE', indexes[j].key, id) then
        wanted = false
        break
      end
    end
    if wanted then
      if skipped < offset then
        skipped = skipped + 1
      else
        out[#out + 1] = fetch(id)
        if #out >= limit then break end
      end
    end
  end
  start = start + batch
end
return out
