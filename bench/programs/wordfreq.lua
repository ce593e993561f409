-- wordfreq: split, normalise and count words, the Lua peer of wordfreq.tri.
-- The checksum is an order-independent sum, since Lua tables do not keep insertion order.
local function next_seed(seed)
  return seed * 16807 % 2147483647
end

local function hash(w)
  local h = 0
  for i = 1, #w do h = (h * 31 + string.byte(w, i)) % 1000000007 end
  return h
end

local N = tonumber(arg[1])
local syl = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qu", "ba", "de" }
local seed = 42
local vocab = {}
for _ = 0, 499 do
  seed = next_seed(seed)
  local nsyl = 2 + seed % 3
  local w = ""
  for _ = 1, nsyl do
    seed = next_seed(seed)
    w = w .. syl[seed % 12 + 1]
  end
  seed = next_seed(seed)
  if seed % 5 == 0 then w = string.upper(w) end
  vocab[#vocab + 1] = w
end
local lines, words = {}, {}
for _ = 1, N do
  seed = next_seed(seed)
  words[#words + 1] = vocab[seed % 500 + 1]
  if #words == 12 then
    lines[#lines + 1] = table.concat(words, " ")
    words = {}
  end
end
if #words > 0 then lines[#lines + 1] = table.concat(words, " ") end
local text = table.concat(lines, "\n")

local counts = {}
for line in string.gmatch(text, "[^\n]+") do
  for word in string.gmatch(line, "[^ ]+") do
    local w = string.lower(word)
    counts[w] = (counts[w] or 0) + 1
  end
end
local distinct, sum = 0, 0
for w, c in pairs(counts) do
  distinct = distinct + 1
  sum = (sum + c * hash(w)) % 1000000007
end
io.write(string.format("%d %d\n", distinct, sum))
