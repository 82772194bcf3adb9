-- issue.lua -- one issue with its tasks and its history, read in one step
-- so that the three agree.
--
-- ARGV: prefix, issue id. Returns {issue fields (flat), {task fields (flat),
-- ...}, {history JSON, ...}}, or an empty array when there is no such issue.
local P = ARGV[1]
local key = P .. 'issue:' .. ARGV[2]
local issue = redis.call('HGETALL', key)
if #issue == 0 then
  return {}
end
local tasks = {}
for _, t in ipairs(cjson.decode(redis.call('HGET', key, 'tasks'))) do
  tasks[#tasks + 1] = redis.call('HGETALL', P .. 'task:' .. t)
end
return {issue, tasks, redis.call('LRANGE', key .. ':history', 0, -1)}
