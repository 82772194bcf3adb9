-- ledger_vary.lua -- wrk script: token-less readers of the public ledger who
-- vary the filter and the offset every request, so that no two requests in a
-- row share an answer in the memo (ledger_memo.c): the attack on the pages
-- themselves (ledger_index.c). ledger_flood's READER=vary.
--
-- Environment: LEDGER_ISSUES (offsets drawn below it; default 100000).
local filters = { "", "department=tax&", "state=queued&", "state=claimed&",
   "category=individual&", "department=tax&state=claimed&",
   "department=tax&state=queued&", "category=individual&department=tax&",
   "department=hr&", "state=resolved&" }
local n = 0

function init(args)
   issues = tonumber(os.getenv("LEDGER_ISSUES") or "100000")
   math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
   n = n + 1
   local f = filters[(n % #filters) + 1]
   return wrk.format("GET", "/api/v1/ledger?" .. f .. "limit=10&offset=" ..
      math.random(0, issues - 1))
end
