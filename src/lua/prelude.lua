-- prelude.lua -- the helpers every script shares. embed.sh puts this file
-- in front of each script when it builds src/lua_scripts.c; each script is
-- still loaded on its own (SCRIPT LOAD), with these lines first. Only local
-- functions here, so that a script's own code starts right after them;
-- ARGV[1] is every script's key prefix.

-- The key PREFIX a:b:c of the parts a, b, c.
local function key(...) return ARGV[1] .. table.concat({...}, ':') end

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

-- Run actions[name], a script's entry points by name, and return its
-- answer; an error reply naming script for an unknown name.
local function dispatch(script, actions, name)
  local fn = actions[name]
  if not fn then
    return redis.error_reply(script .. ': unknown action ' .. tostring(name))
  end
  return fn()
end
