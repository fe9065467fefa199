-- wrk script: lookups of users picked at random from the IDs listed one per
-- line in the file named by BENCH_IDS (global IDs for node(id:), UUIDs for
-- PostGraphile's userById); the request body is the JSON in BENCH_BODY with
-- the placeholder __ID__ replaced.
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local template = slurp(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"))
local ids = {}
for line in slurp(assert(os.getenv("BENCH_IDS"), "BENCH_IDS not set")):gmatch("[^\r\n]+") do
  ids[#ids + 1] = line
end
assert(#ids > 0, "no ids")

local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json",
  ["Authorization"] = assert(os.getenv("BENCH_AUTH"), "BENCH_AUTH not set"),
}

-- Seed each thread's generator differently.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

-- Global IDs (base64url without padding) and UUIDs need no escaping in JSON.
function request()
  local body = template:gsub("__ID__", ids[math.random(#ids)], 1)
  return wrk.format("POST", "/graphql", headers, body)
end
