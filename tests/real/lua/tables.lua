-- Tables, metatables, closures, integer arithmetic.
local t = {}
for i = 1, 100 do t[i] = (i * 7919) % 101 end
table.sort(t)
print(t[1], t[50], t[100], #t)
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " ", 1, 10))
table.insert(t, 1, -1); table.insert(t, 1000); print(table.remove(t), table.remove(t, 1), #t)
print(table.unpack({1, 2, 3}), select("#", table.unpack({1, nil, 3}, 1, 3)), select(-1, 1, 2, 3))
print(table.concat(table.move({1, 2, 3, 4, 5}, 2, 4, 1), ","))
local packed = table.pack(1, nil, 3)
print(packed.n, packed[1], packed[2], packed[3])

-- Hash part with sorted key output (iteration order is not portable).
local words = {}
for w in ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor lorem dolor dolor"):gmatch("%a+") do
  words[w] = (words[w] or 0) + 1
end
local keys = {}
for k in pairs(words) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", words[k], " ") end
print()

-- Closures and upvalues.
local function counter(step)
  local n = 0
  return function() n = n + step; return n end
end
local c1, c2 = counter(1), counter(10)
c1(); c1(); c2()
print(c1(), c2())
local fns = {}
for i = 1, 5 do fns[i] = function() return i * i end end
print(fns[1](), fns[3](), fns[5]())

-- Metatables: vector arithmetic, __index inheritance, __tostring, __len, __call, __close.
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__mul(a, k) return Vec.new(a.x * k, a.y * k) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__lt(a, b) return a:len2() < b:len2() end
function Vec.__tostring(v) return string.format("(%g, %g)", v.x, v.y) end
function Vec:len2() return self.x * self.x + self.y * self.y end
local v = Vec.new(1, 2) + Vec.new(3, 4) * 2
print(tostring(v), v == Vec.new(7, 10), Vec.new(1, 1) < v, v:len2())
local Animal = {sound = "..."}
Animal.__index = Animal
function Animal:speak() return self.name .. " says " .. self.sound end
local Dog = setmetatable({sound = "woof"}, Animal)
Dog.__index = Dog
local d = setmetatable({name = "rex"}, Dog)
print(d:speak(), rawget(d, "sound"), getmetatable(d) == Dog)
local callable = setmetatable({}, {__call = function(_, a, b) return a + b end, __len = function() return 99 end})
print(callable(20, 22), #callable)
local memo = setmetatable({}, {__index = function(tbl, n)
  local r = n < 2 and n or tbl[n - 1] + tbl[n - 2]
  tbl[n] = r
  return r
end})
print(memo[80], memo[90])
do
  local log = {}
  do
    local a <close> = setmetatable({}, {__close = function() log[#log + 1] = "a" end})
    local b <close> = setmetatable({}, {__close = function() log[#log + 1] = "b" end})
  end
  print(table.concat(log, ","))
end

-- Integer arithmetic: wraparound, floor division, modulo, shifts.
print(math.maxinteger + 1 == math.mininteger, math.maxinteger * 2, -7 // 2, -7 % 3, 7 % -3, -7.5 // 2)
print(1 << 63, (1 << 63) >> 63, -1 >> 1, ~0, 0xF0 & 0x3C, 0xF0 | 0x0F, 0xF0 ~ 0xFF, 3 << -1)
print(math.ult(1, -1), math.tointeger(3.0), math.tointeger(3.5), 7 // 0.0, -7 // 0.0, 2^53 + 1)
print(math.type(1), math.type(1.0), math.type("1"), 10 / 2, 3 | 0, "10" + 5, "3" * "4")
local acc = 0
for i = 1, 100000 do acc = (acc * 6364136223846793005 + i) end
print(acc, acc % 1000003, acc // 1000003)
-- Nested tables and a simple queue.
local grid = {}
for r = 1, 20 do grid[r] = {} for c = 1, 20 do grid[r][c] = (r * c) % 7 end end
local sum = 0
for r = 1, 20 do for c = 1, 20 do sum = sum + grid[r][c] end end
print(sum, #grid, #grid[20])
