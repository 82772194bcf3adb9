-- link.lua -- people's tokens as /admin handles them: one-time sign-in
-- links (the printable cards: for each person a new token and a link to
-- it, written together, so a link never names a token that is not there)
-- and revoking every token of a person. The secrets are made and hashed
-- in C (token.c); only their hashes come here, stored as liaisonctl
-- stores them (ctl_token.c).
--
-- ARGV: prefix, action, payload (JSON).
-- Keys (P = prefix):
--   P token:HASH          hash: role, id, created
--   P tokens:ROLE:ID      set of a person's token hashes
--   P link:HASH           hash: role, id, token (its token's hash), created;
--                         expires after req.ttl seconds
local action = ARGV[2]
local req = cjson.decode(ARGV[3])

-- key and dispatch are prelude.lua's.

-- issue {now, ttl, links: [{role, id, token, link}]}: returns how many.
local function issue()
  for _, l in ipairs(req.links) do
    redis.call('HSET', key('token', l.token), 'role', l.role, 'id', l.id,
      'created', req.now)
    redis.call('SADD', key('tokens', l.role, l.id), l.token)
    redis.call('HSET', key('link', l.link), 'role', l.role, 'id', l.id,
      'token', l.token, 'created', req.now)
    redis.call('EXPIRE', key('link', l.link), req.ttl)
  end
  return #req.links
end

-- revoke {role, id}: forget every token of the person: their sessions end
-- with them (a page looks its session's token up each time) and their
-- unused links sign nobody in. Returns how many tokens.
local function revoke()
  local set = key('tokens', req.role, req.id)
  local hashes = redis.call('SMEMBERS', set)
  for _, h in ipairs(hashes) do redis.call('DEL', key('token', h)) end
  redis.call('DEL', set)
  return #hashes
end

return dispatch('link.lua', {issue = issue, revoke = revoke}, action)
