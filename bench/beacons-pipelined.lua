-- wrk: page-visit beacons, pipelined: each write carries `depth` requests (wrk's own
-- pipelining: it reads as many answers as the write held). 5,000 sessions, every URL
-- naming its session (?sid=, as tracker.js sends them).
-- usage: wrk -t1 -c64 -d10s -s bench/beacons-pipelined.lua http://127.0.0.1:PORT -- 16
local pages = { "homepage", "category", "offer", "product", "checkout" }
local batches = {}
local next_batch = 0

init = function(args)
  local depth = tonumber(args[1] or "16")
  local n = 0
  for b = 1, math.ceil(5000 / depth) do
    local requests = {}
    for r = 1, depth do
      n = n + 1
      local sid = "p" .. n
      local body = string.format('{"session_id":"%s","page_type":"%s","page_identifier":"x%d"}', sid, pages[n % 5 + 1], n % 7)
      requests[r] = wrk.format("POST", "/api/metrics/track/page-visit?sid=" .. sid, { ["Content-Type"] = "text/plain" }, body)
    end
    batches[b] = table.concat(requests)
  end
end

request = function()
  next_batch = next_batch % #batches + 1
  return batches[next_batch]
end
