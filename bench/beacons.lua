-- wrk: page-visit beacons spread over 5,000 sessions, each URL naming its session
-- (?sid=, as tracker.js sends them) so a balancer hashing on it spreads them.
-- usage: wrk -t1 -c64 -d10s -s bench/beacons.lua http://127.0.0.1:PORT
local pages = { "homepage", "category", "offer", "product", "checkout" }
local i = 0

request = function()
  i = i + 1
  local sid = "b" .. (i % 5000)
  local body = string.format('{"session_id":"%s","page_type":"%s","page_identifier":"x%d"}', sid, pages[i % 5 + 1], i % 7)
  return wrk.format("POST", "/api/metrics/track/page-visit?sid=" .. sid, { ["Content-Type"] = "text/plain" }, body)
end
