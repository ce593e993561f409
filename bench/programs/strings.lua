-- strings: string building, the Lua peer of strings.tri.
-- Plain (non-pattern) find and a magic-free gsub needle keep semantics identical.
local N = tonumber(arg[1])
local total, h = 0, 0
for r = 0, N - 1 do
  local parts = {}
  for i = 0, 199 do
    parts[#parts + 1] = "item" .. tostring(i * 7 + r) .. "=" .. tostring(i % 13) .. ";"
  end
  local s = table.concat(parts, "")
  local u = string.upper(s)
  total = total + #u
  local hits = 0
  local pos = string.find(u, "=1", 1, true)
  while pos do
    hits = hits + 1
    pos = string.find(u, "=1", pos + 1, true)
  end
  total = total + #(string.gsub(u, "ITEM", "k"))
  local line = ""
  for i = 0, 39 do line = line .. string.char(97 + (i + r) % 26) end
  h = (h * 31 + hits + string.byte(line, r % 40 + 1)) % 1000000007
end
io.write(string.format("%d %d\n", total, h))
