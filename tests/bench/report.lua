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
   math.randomseed(os.time() + thread_no)
   body_head = '{"items":[{"enterprise":"' .. enterprise .. '","topic":"hiring",' ..
      '"title":"普工缺口","detail":"'
   -- Each detail differs, as real reports do: identical texts would all be
   -- the same problem and measure the common-issue matcher's worst case.
   pool = {}
   for c in ("招工用工技能培训订单生产线岗位工资社保宿舍通勤夜班" ..
      "学徒实习合同加班流动季节性外地返乡春节招聘会劳务派遣" ..
      "电工焊工钳工叉车质检包装仓储物流装配调试维修"):gmatch("[%z\1-\127\194-\244][\128-\191]*") do
      pool[#pool + 1] = c
   end
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
end

function request()
   sent = sent + 1
   headers["Idempotency-Key"] = key_prefix .. sent
   local detail = {}
   for i = 1, 16 do
      detail[i] = pool[math.random(#pool)]
   end
   return wrk.format("POST", "/api/v1/reports", headers,
      body_head .. table.concat(detail) .. '"}]}')
end
