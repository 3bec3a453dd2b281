-- expect-exit: 1
-- Error handling: pcall, xpcall, error objects, runtime errors; the script
-- ends with an uncaught error, so the interpreter exits with status 1.
local function strip(msg) return (tostring(msg):gsub("^.-:%d+: ", "")) end
print(pcall(error, "plain"))
print(select(2, pcall(error, {code = 7})).code)
local ok, e = pcall(error, setmetatable({}, {__tostring = function() return "custom" end}))
print(ok, tostring(e))
ok, e = pcall(function() return 1 + nil end); print(ok, strip(e))
ok, e = pcall(function() return #5 end); print(ok, strip(e))
ok, e = pcall(function() return {} < {} end); print(ok, strip(e))
ok, e = pcall(function() return 1 // 0 end); print(ok, strip(e))
ok, e = pcall(function() return 1 % 0 end); print(ok, strip(e))
ok, e = pcall(function() return ("x"):rep(-1) .. undefinedfn() end); print(ok, strip(e))
ok, e = pcall(function() error("level2", 2) end); print(ok, strip(e))
ok, e = pcall(string.rep); print(ok, strip(e))
ok, e = pcall(setmetatable, 1, {}); print(ok, strip(e))
ok, e = pcall(function() local t = setmetatable({}, {__index = function(_, k) error("no field " .. k) end}); return t.foo end)
print(ok, strip(e))
print(xpcall(function() error("boom") end, function(m) return "handled: " .. strip(m) end))
print(xpcall(function(a, b) return a + b end, print, 3, 4))
print(select("#", pcall(error)))
-- Nested pcall and error rethrow.
local depth = 0
local function nest(n)
  if n == 0 then error("bottom") end
  local ok2, err = pcall(nest, n - 1)
  depth = depth + 1
  error(err, 0)
end
print(pcall(nest, 50), depth)
-- Stack overflow is caught as an error.
local function inf(n) return 1 + inf(n + 1) end
ok, e = pcall(inf, 1)
print(ok, (strip(e):match("stack overflow")))
-- Errors in __gc and tostring conversions.
print(pcall(string.format, "%d", "x"))
print(pcall(load, "return +"))
local f, msg = load("return +")
print(f, msg)
print(load("return 6 * 7")())
print(string.format("%s", select(2, pcall(error, nil))))
io.write("about to fail\n")
io.stdout:flush()
error("uncaught failure")
