-- wrk script for the soak: requests to handler (b) with every 100th one on the trapping
-- path, and a count of every status seen, printed per status when the run ends (run.py
-- repeats short runs until the total is reached).
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  sent = 0
  statuses = {}
end

request = function()
  sent = sent + 1
  if sent % 100 == 0 then
    return wrk.format("GET", "/compute?n=200&name=soak&trap=1")
  end
  return wrk.format("GET", "/compute?n=200&name=soak")
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d %d\n", status, n))
  end
end
