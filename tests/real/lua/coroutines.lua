-- Coroutines: generators, pipelines, errors inside coroutines, wrap.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local total = 0
for v in gen(1000) do total = total + v end
print(total)

local function filter(pred, src)
  return coroutine.wrap(function()
    for v in src do if pred(v) then coroutine.yield(v) end end
  end)
end
local function map(f, src)
  return coroutine.wrap(function()
    for v in src do coroutine.yield(f(v)) end
  end)
end
local out = {}
for v in map(function(x) return x * x end, filter(function(x) return x % 3 == 0 end, gen(30))) do
  out[#out + 1] = v
end
print(table.concat(out, " "))

local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return "done", d + e
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))

local bad = coroutine.create(function() local x = nil; return x.field end)
local ok, err = coroutine.resume(bad)
print(ok, (err:gsub("^.-:%d+: ", "")), coroutine.status(bad))
print(coroutine.isyieldable(), coroutine.running() ~= nil)

-- Many live coroutines interleaved (round-robin scheduler).
local tasks = {}
for id = 1, 50 do
  tasks[id] = coroutine.create(function()
    local acc = 0
    for step = 1, id do
      acc = acc + id * step
      coroutine.yield()
    end
    return acc
  end)
end
local results, alive = {}, #tasks
while alive > 0 do
  for id, t in ipairs(tasks) do
    if coroutine.status(t) == "suspended" then
      local ok2, r = coroutine.resume(t)
      assert(ok2)
      if coroutine.status(t) == "dead" then results[id] = r; alive = alive - 1 end
    end
  end
end
print(results[1], results[25], results[50])

-- Deep recursion inside a coroutine, and yielding across pcall.
local deep = coroutine.wrap(function()
  local function rec(n) if n == 0 then return 0 end return 1 + rec(n - 1) end
  coroutine.yield(rec(10000))
  local ok3, e = pcall(function()
    coroutine.yield("inside pcall")
    error("after yield")
  end)
  coroutine.yield(ok3, (e:gsub("^.-:%d+: ", "")))
end)
print(deep())
print(deep())
print(deep())
local closed = coroutine.create(function() coroutine.yield(1) end)
coroutine.resume(closed)
print(coroutine.close(closed), coroutine.status(closed))
