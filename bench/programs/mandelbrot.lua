-- mandelbrot: escape-time iteration, the Lua peer of mandelbrot.tri.
-- The float expressions keep the same evaluation order so results match bit for bit.
local N = tonumber(arg[1])
local total, inside = 0, 0
for y = 0, N - 1 do
  local ci = 2.0 * y / N - 1.0
  for x = 0, N - 1 do
    local cr = 2.0 * x / N - 1.5
    local zr, zi = 0.0, 0.0
    local it = 0
    while it < 50 do
      local tr = zr * zr - zi * zi + cr
      zi = 2.0 * zr * zi + ci
      zr = tr
      if zr * zr + zi * zi > 4.0 then break end
      it = it + 1
    end
    total = total + it
    if it == 50 then inside = inside + 1 end
  end
end
io.write(string.format("%d %d\n", inside, total))
