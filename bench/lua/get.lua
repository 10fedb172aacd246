-- GET with the header $HEADER_NAME: $HEADER_VALUE (a bearer token or the auth cookie).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
wrk.method = "GET"
wrk.headers[assert(os.getenv("HEADER_NAME"), "set HEADER_NAME")] =
   assert(os.getenv("HEADER_VALUE"), "set HEADER_VALUE")
