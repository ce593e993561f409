-- wrk script for handler (c): cycles through paths that match early, late and no pattern.
local paths = {
  "/api/v1/users", "/api/v1/users/42/posts/7", "/api/v1/products/9/reviews",
  "/static/app.js", "/health", "/admin/users/3", "/docs/guide/intro", "/nope/nothing",
  "/api/v2/search/nginx", "/logout"
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
