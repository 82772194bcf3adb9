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
      '"title":"'
   -- Each title and detail differs, as real reports do: identical texts
   -- would all be the same problem, and a title shared by every report
   -- makes each one a candidate for every other in the common-issue
   -- matcher (its worst case, not a realistic one).
   pool = {}
   for c in ("招工用工技能培训订单生产线岗位工资社保宿舍通勤夜班" ..
      "学徒实习合同加班流动季节性外地返乡春节招聘会劳务派遣" ..
      "电工焊工钳工叉车质检包装仓储物流装配调试维修" ..
      "园区道路路灯供电供水燃气排污环评消防安全审批许可证执照" ..
      "贷款融资担保授信利率税收减免退税发票补贴奖补兑现资金" ..
      "厂房土地产权规划施工验收备案商标专利认证计量标准质量" ..
      "人才公寓子女入学就医住房公交停车货车限行项目签约落地" ..
      "党支部党员工会团委群团活动阵地书记组织关系转接发展"):gmatch("[%z\1-\127\194-\244][\128-\191]*") do
      pool[#pool + 1] = c
   end
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
end

-- n characters drawn from the pool.
function text(n)
   local t = {}
   for i = 1, n do
      t[i] = pool[math.random(#pool)]
   end
   return table.concat(t)
end

function request()
   sent = sent + 1
   headers["Idempotency-Key"] = key_prefix .. sent
   return wrk.format("POST", "/api/v1/reports", headers,
      body_head .. text(8) .. '","detail":"' .. text(24) .. '"}]}')
end
