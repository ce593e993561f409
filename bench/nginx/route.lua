-- Benchmark handler (c) for lua-nginx-module: the same 20-pattern router as route.tri
-- (split on "/", literal segments and :params), the table built per request as there.
local routes = {
  "/api/v1/users", "/api/v1/users/:id", "/api/v1/users/:id/posts",
  "/api/v1/users/:id/posts/:post", "/api/v1/orders", "/api/v1/orders/:id",
  "/api/v1/orders/:id/items", "/api/v1/products", "/api/v1/products/:id",
  "/api/v1/products/:id/reviews", "/api/v2/search", "/api/v2/search/:term",
  "/static/:file", "/health", "/metrics", "/login", "/logout", "/admin/settings",
  "/admin/users/:id", "/docs/:section/:page"
}

local function split(s, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end

local function match(pattern, parts)
  local pp = split(pattern, "/")
  if #pp ~= #parts then return nil end
  local params = ""
  for i, seg in ipairs(pp) do
    if string.sub(seg, 1, 1) == ":" then
      params = params .. string.sub(seg, 2) .. "=" .. parts[i] .. ";"
    elseif seg ~= parts[i] then
      return nil
    end
  end
  return params
end

local parts = split(ngx.var.uri, "/")
for _, r in ipairs(routes) do
  local params = match(r, parts)
  if params then
    ngx.print("route " .. r .. " " .. params .. "\n")
    return
  end
end
ngx.status = 404
ngx.print("no route\n")
