-- fib: doubly recursive Fibonacci, the Lua peer of fib.tri.
-- Same algorithm and checksum so the runner can compare runtimes directly.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local N = tonumber(arg[1])
io.write(string.format("%d\n", fib(N)))
