-- JSON benchmark, Lua side (Lua 5.4 or LuaJIT with lua-cjson): the same operations and
-- checksum as json.tri. Usage: lua json.lua OP PATH N
local cjson = require("cjson")
local op, path, n = arg[1], arg[2], tonumber(arg[3])
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local doc = cjson.decode(text)
local size = 0
if op == "decode" then
  for _ = 1, n do doc = cjson.decode(text) end
else
  for _ = 1, n do size = #cjson.encode(doc) end
end
local total = 0
for _, rec in ipairs(doc.records) do total = total + rec.id + #rec.tags end
print(string.format("%d %d", #doc.records, total))
