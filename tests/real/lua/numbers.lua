-- Floating point: formatting, conversions, math library.
local vals = {0.1, 1/3, 2/3, 1e300 * 10, -1e-310, 123456789.125, 2^63, -2^-1074, 1e15, 1e16, 0.5, 100, -0.0}
for _, v in ipairs(vals) do
  print(string.format("%.17g|%g|%.3f|%e|%a|%s", v, v, v, v, v, tostring(v)))
end
print(string.format("%5.1f|%-8.2e|%+.0f|%#.0f|%G", 3.14159, 0.000123, 2.5, 3.0, 1e-20))
print(0.1 + 0.2, 0.1 + 0.2 == 0.3, 1e308 * 10, -1e308 * 10, math.huge // 1)
local nan = 0/0
print(nan ~= nan, string.format("%.1f", 1/0), math.abs(-0.0), 3 % math.huge, -3 % math.huge)
print(math.floor(-3.5), math.ceil(-3.5), math.floor(3.7), math.ceil(3.2), math.fmod(-7, 3), math.fmod(7, -3))
print(math.sqrt(2), math.sin(1), math.cos(1), math.tan(0.5), math.exp(1), math.log(10), math.log(8, 2), math.log(100, 10))
print(math.asin(0.5), math.acos(0.5), math.atan(1, 2), math.atan(-1, -1))
print(math.max(3, 7.5, -1), math.min(3, 7.5, -1), math.abs(math.mininteger), math.pi)
print(math.modf(3.7), math.modf(-3.7), math.modf(math.huge))
print(string.format("%.14g", 2^0.5), 7.0 // 2, 7 / 2, 2^10, 10 // 3.0, 1e100 // 1e90)
print(tonumber("1e308"), tonumber("1e309"), tonumber("-0x1.8p1"), tonumber(".5"), tonumber("5."), tonumber("0x.1"))
print(3 == 3.0, math.type(2^31), 2^31 | 0, math.tointeger("8"), 1e15 + 0.3)
print(string.format("%d", 3.0), pcall(string.format, "%d", 3.5))
print(string.format("%.20f", 0.1), string.format("%.0f", 0.5), string.format("%.0f", 1.5), string.format("%.0f", 2.5))
math.randomseed(42)
local r = {}
for i = 1, 5 do r[i] = math.random(1, 1000) end
print(table.concat(r, " "), math.random(0) ~= nil)
local f = 0
for i = 1, 10 do f = f + math.random() end
print(string.format("%.12f", f))
-- Kahan-style sum vs naive sum of a harmonic series.
local naive, sum, comp = 0.0, 0.0, 0.0
for i = 1, 200000 do
  local x = 1 / i
  naive = naive + x
  local y = x - comp
  local t = sum + y
  comp = (t - sum) - y
  sum = t
end
print(string.format("%.17g %.17g", naive, sum))
-- Number/string round trips.
local bad = 0
for i = 1, 2000 do
  local x = math.sin(i) * 10 ^ (i % 40 - 20)
  if tonumber(string.format("%.17g", x)) ~= x then bad = bad + 1 end
  if tonumber(tostring(x)) ~= x and math.abs(tonumber(tostring(x)) - x) > math.abs(x) * 1e-13 then bad = bad + 1 end
end
print("roundtrip failures", bad)
print(8 // 0.0, -8 // 0.0, 0/0 ~= 0/0, math.fmod(1, 0.0) ~= math.fmod(1, 0.0), pcall(math.fmod, 1, 0))
