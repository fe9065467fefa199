-- wrk script: POST one fixed GraphQL request, read from the file named by
-- BENCH_BODY, with the Authorization header in BENCH_AUTH.
local f = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = assert(os.getenv("BENCH_AUTH"), "BENCH_AUTH not set")
