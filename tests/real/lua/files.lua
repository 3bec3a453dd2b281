-- File and OS library: the first script argument is an empty scratch
-- directory. Writes, seeks, reads back by lines and numbers, renames,
-- removes, and formats fixed dates.
local dir = assert(arg[1], "usage: files.lua DIR")
local path = dir .. "/data.txt"
local f = assert(io.open(path, "w"))
for i = 1, 500 do f:write(string.format("%d %.3f line-%d\n", i, i / 7, i * i)) end
print(f:seek("cur"), f:seek("set", 10), f:seek("end"))
f:close()
print(io.type(f), io.type(io.stdout), io.type(42))

local n, sum = 0, 0.0
for line in io.lines(path) do
  n = n + 1
  local a, b = line:match("^(%d+) ([%d.]+)")
  sum = sum + tonumber(a) + tonumber(b)
end
print(n, string.format("%.3f", sum))

f = assert(io.open(path, "r"))
print(f:read("n", "n"), f:read("l"), f:read(5))
f:seek("set", 0)
local all = f:read("a")
print(#all, f:read("a") == "", f:read("l"))
f:close()

-- Binary data with every byte value, appended in two parts.
local bin = dir .. "/bytes.bin"
local bytes = {}
for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
f = assert(io.open(bin, "wb")); f:write(table.concat(bytes)); f:close()
f = assert(io.open(bin, "ab")); f:write(table.concat(bytes):reverse()); f:close()
f = assert(io.open(bin, "rb"))
local data = f:read("a")
f:close()
print(#data, data:byte(1), data:byte(256), data:byte(257), data:byte(512))

local moved = dir .. "/moved.txt"
print(os.rename(path, moved))
print(io.open(path) == nil, select(3, io.open(path)))
print(os.remove(moved), os.remove(bin))
print(select(3, os.remove(moved)))
print(os.date("!%Y-%m-%d %H:%M:%S %A %j", 1700000000))
local t = os.date("!*t", 86400 * 365)
print(t.year, t.month, t.day, t.hour, t.yday, t.isdst)
print(os.getenv("LANG"), os.getenv("NO_SUCH_VARIABLE_HERE"))
print(type(os.time()), type(os.clock()), os.difftime(10, 4))
io.write("written ", "by io.write", "\n")
io.stdout:write(string.format("%s %d\n", "stdout handle", 7))
