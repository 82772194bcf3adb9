-- report.lua -- wrk script: POST one-item reports to liaisond as one officer.
--
-- Environment: LIAISON_TOKEN (an officer token, required), LIAISON_ENTERPRISE
-- (one of that officer's enterprises; default O001's 91340800PN4Y1KAC63).
-- Every request carries its own Idempotency-Key, so each one stores a new
-- report; the keys start with the time and the thread number so that two
-- runs against the same Redis do not replay each other's answers.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
end

function init(args)
   local token = os.getenv("LIAISON_TOKEN")
   if token == nil or token == "" then
      io.stderr:write("report.lua: LIAISON_TOKEN is not set\n")
      os.exit(2)
   end
   local enterprise = os.getenv("LIAISON_ENTERPRISE") or "91340800PN4Y1KAC63"
   key_prefix = string.format("bench-%d-%d-%d-", os.time(), math.random(1000000), thread_no)
   sent = 0
   body = '{"items":[{"enterprise":"' .. enterprise .. '","topic":"hiring",' ..
      '"title":"普工缺口","detail":"春节后缺普工 40 人（基准测试）"}]}'
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
end

function request()
   sent = sent + 1
   headers["Idempotency-Key"] = key_prefix .. sent
   return wrk.format("POST", "/api/v1/reports", headers, body)
end
