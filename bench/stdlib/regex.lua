-- Regular-expression benchmark with Lua patterns (Lua 5.4 or LuaJIT): the same operations
-- and checksums as regex.tri. Lua patterns have no nested quantifiers, so "pathological"
-- uses the closest pattern they can express, a+$. Usage: lua regex.lua OP PATH N
local op, path, n = arg[1], arg[2], tonumber(arg[3])
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local result = 0
if op == "match" then
  for _ = 1, n do if string.find(text, "%d+%.%d+%.%d+%.%d+ %- %- %[[^%]]*%] \"PATCH ") then result = result + 1 end end
elseif op == "gsub" then
  for _ = 1, n do result = #(string.gsub(text, "%d+", "N")) end
else
  for _ = 1, n do if string.find(text, "a+$") then result = result + 1 end end
end
print(result)
