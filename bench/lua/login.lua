-- POST the login form of $EMAIL / $PASSWORD.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local function encode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. encode(assert(os.getenv("EMAIL"), "set EMAIL")) ..
           "&password=" .. encode(assert(os.getenv("PASSWORD"), "set PASSWORD"))
