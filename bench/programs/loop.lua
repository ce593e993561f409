-- loop: tight integer loop, the Lua peer of loop.tri.
-- Values stay below 2^53 so LuaJIT's doubles give the same answer as 64-bit ints.
local N = tonumber(arg[1])
local acc, evens = 0, 0
for i = 0, N - 1 do
  acc = (acc * 31 + i) % 1000000007
  if acc % 2 == 0 then evens = evens + 1 end
end
io.write(string.format("%d\n", acc + evens))
