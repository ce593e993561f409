-- binarytrees: allocation-heavy tree building, the Lua peer of binarytrees.tri.
-- A leaf is an empty table (Lua tables cannot hold nil slots the way Trinity arrays do).
local function make(depth)
  if depth == 0 then return {} end
  return { make(depth - 1), make(depth - 1) }
end

local function check(node)
  if not node[1] then return 1 end
  return 1 + check(node[1]) + check(node[2])
end

local min_depth = 4
local max_depth = tonumber(arg[1])
if max_depth < min_depth + 2 then max_depth = min_depth + 2 end
local total = check(make(max_depth + 1))
local long_lived = make(max_depth)
local depth = min_depth
while depth <= max_depth do
  -- Repeated doubling instead of 2^k: LuaJIT has no shifts and 5.4's ^ yields floats.
  local iterations = 1
  for _ = 1, max_depth - depth + min_depth do iterations = iterations * 2 end
  local sum = 0
  for _ = 1, iterations do sum = sum + check(make(depth)) end
  total = total + sum
  depth = depth + 2
end
total = total + check(long_lived)
io.write(string.format("%d\n", total))
