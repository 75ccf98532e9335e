-- wrk script: each connection waits DELAY_MS before each request, so the offered rate is
-- about connections / (latency + delay): a fixed fraction of saturation without wrk2
-- (not packaged by Debian). Sends AUTH as the bearer token; prints one machine-readable
-- line: "PACED <requests/s> <p50 ms> <p99 ms> <non-2xx> <socket errors>".
local pause = tonumber(os.getenv("DELAY_MS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AUTH")

delay = function()
  return pause
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("PACED %.1f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, failed))
end
