-- claim.lua -- wrk script: departments claim the oldest task of their queue.
--
-- Environment: LIAISON_TOKEN (a department token, required), LIAISON_DEPT
-- (its id; default hr). Each request is POST /api/v1/departments/D/claim.
function init(args)
   local token = os.getenv("LIAISON_TOKEN")
   if token == nil or token == "" then
      io.stderr:write("claim.lua: LIAISON_TOKEN is not set\n")
      os.exit(2)
   end
   path = "/api/v1/departments/" .. (os.getenv("LIAISON_DEPT") or "hr") .. "/claim"
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
end

function request()
   return wrk.format("POST", path, headers, '{"claimant":"基准测试"}')
end
