-- Benchmark handler (b) for lua-nginx-module: the same steps as compute.tri (query
-- arguments, n iterations over a small map, a ~1 KB JSON-like body built from strings).
local args = ngx.req.get_uri_args()
if args.trap then
  error("trap requested")
end
local n = tonumber(args.n or "200")
local scale = tonumber(args.scale or "3")
local name = args.name or "anonymous"
local keys = {"alpha", "beta", "gamma", "delta"}
local buckets = {alpha = 0, beta = 0, gamma = 0, delta = 0}
local acc = 7
for i = 0, n - 1 do
  acc = (acc * 31 + i * scale) % 1000003
  local k = keys[i % 4 + 1]
  buckets[k] = buckets[k] + acc % 97
end
local items = {}
for i = 0, 15 do
  local v = (acc + i * 7919) % 10007
  items[#items + 1] = "{\"id\": " .. i .. ", \"value\": " .. v .. ", \"label\": \"item-" ..
    i .. "-" .. name .. "\"}"
end
local body = "{\"name\": \"" .. name .. "\", \"n\": " .. n .. ", \"acc\": " .. acc ..
  ", \"buckets\": {\"alpha\": " .. buckets.alpha .. ", \"beta\": " .. buckets.beta ..
  ", \"gamma\": " .. buckets.gamma .. ", \"delta\": " .. buckets.delta ..
  "}, \"items\": [" .. table.concat(items, ", ") .. "]}\n"
ngx.header["content-type"] = "application/json"
ngx.print(body)
