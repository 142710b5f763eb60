-- wrk script of the realistic load run (bench/realistic-load.sh): each
-- request is a random allowed read (or write) by a random officer, from the
-- lines `token client record` that bench/population.py wrote.
-- MODE (environment): record (default), list, plan, write, or mixed (a
-- record read, and one request in ten a new note).
local lines = {}
local mode = os.getenv("MODE") or "record"
local note = '{"kind":"note","body":{"text":"Uppföljning: planen gäller, nästa möte om två veckor."}}'

function init(args)
  for line in io.lines(os.getenv("READS_FILE")) do
    local token, client, record = line:match("^(%S+) (%S+) (%S+)$")
    if token then lines[#lines + 1] = {token, client, record} end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local pick = lines[math.random(#lines)]
  local headers = {["Authorization"] = "Bearer " .. pick[1]}
  if mode == "list" then
    return wrk.format("GET", "/v1/clients/" .. pick[2] .. "/records", headers)
  elseif mode == "plan" then
    return wrk.format("GET", "/v1/clients/" .. pick[2] .. "/plan", headers)
  elseif mode == "write" or (mode == "mixed" and math.random(10) == 1) then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/v1/clients/" .. pick[2] .. "/records", headers, note)
  end
  return wrk.format("GET", "/v1/records/" .. pick[3], headers)
end
