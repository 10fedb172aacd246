-- POST /auth/register with a new email on every request: unique per run ($RUN_ID), thread
-- and request.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local run = assert(os.getenv("RUN_ID"), "set RUN_ID")
local count = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
   count = count + 1
   local body = string.format(
      '{"email":"bench-%s-%d-%d@example.com","password":"bench-password-1"}',
      run, thread_id or 0, count)
   return wrk.format(nil, nil, nil, body)
end
