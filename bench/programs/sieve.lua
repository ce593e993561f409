-- sieve: sieve of Eratosthenes, the Lua peer of sieve.tri.
-- Index 0 is used too so the table layout matches the other versions' logic.
local N = tonumber(arg[1])
local flags = {}
for i = 0, N do flags[i] = true end
local count, sum = 0, 0
local i = 2
while i <= N do
  if flags[i] then
    count = count + 1
    sum = sum + i
    local j = i * i
    while j <= N do
      flags[j] = false
      j = j + i
    end
  end
  i = i + 1
end
io.write(string.format("%d %d\n", count, sum))
