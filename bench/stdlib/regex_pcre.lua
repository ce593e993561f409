-- Regular-expression benchmark with PCRE2 (lua-rex-pcre2), the backtracking engine
-- ngx.re uses: the same operations and checksums as regex.tri. On "pathological", PCRE2
-- backtracks until its match limit and reports an error, which this prints as "error: ...".
-- Usage: lua regex_pcre.lua OP PATH N
local rex = require("rex_pcre2")
local op, path, n = arg[1], arg[2], tonumber(arg[3])
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local result = 0
if op == "match" then
  local re = rex.new("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+ - - \\[[^\\]]*\\] \"PATCH ")
  for _ = 1, n do if re:find(text) then result = result + 1 end end
elseif op == "gsub" then
  for _ = 1, n do result = #(rex.gsub(text, "[0-9]+", "N")) end
else
  local re = rex.new("(a+)+$")
  for _ = 1, n do
    local ok, found = pcall(re.find, re, text)
    if not ok then print("error: " .. tostring(found)) os.exit(0) end
    if found then result = result + 1 end
  end
end
print(result)
