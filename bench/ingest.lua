-- wrk script: POST a batch of 100 fresh exposure events per request (unique event ids).
local counter = 0
local contractor = os.getenv("CONTRACTOR_ID")
local started = os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() - 3600)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("INGEST_TOKEN")

request = function()
  counter = counter + 1
  local events = {}
  for i = 1, 100 do
    events[i] = string.format(
      '{"event_id":"%s-%d-%d","contractor_id":%s,"queue":"hate","category":"hate_extremism",'
      .. '"started_at":"%s","duration_seconds":1}',
      tostring(wrk.thread):gsub("[^%w]", ""), counter, i, contractor, started)
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
