-- String library: formatting, patterns, gsub, packing, utf8.
local s = "The quick brown fox jumps over the lazy dog"
print(#s, s:upper(), s:lower())
print(s:sub(5, 9), s:sub(-3), s:rep(2, "|"))
print(s:find("fox"), s:find("o", 20, true), s:match("(%a+) dog"))
for w in s:gmatch("%a%a%a%a%a") do io.write(w, ",") end
print()
print((s:gsub("%w+", function(w) return w:reverse() end)))
print(s:gsub("o", "0", 2))
print(("hello world from lua"):gsub("(%w+) (%w+)", "%2 %1"))
print(string.format("[%5d|%-5d|%05d|%x|%X|%o|%c]", 42, 42, 42, 255, 255, 8, 65))
print(string.format("[%10s|%-10s|%.3s|%q]", "right", "left", "truncate", 'a "quoted"\n\0 string'))
print(string.format("%q", 1 / 3), string.format("%q", math.mininteger))
print(string.byte("ABC", 1, -1), string.char(72, 105))
local parts = {}
for k, v in string.gmatch("a=1, b=22, ccc=333", "(%w+)=(%w+)") do
  parts[#parts + 1] = k .. ":" .. v
end
print(table.concat(parts, ";"))
print(("  trim me  "):match("^%s*(.-)%s*$") .. "|")
print(("%d items"):format(7), ("x"):rep(0) == "", ("abc"):len())
print(string.find("a+b", "+", 1, true), string.find("abc", "[b-c]+"))
print(("key = value # comment"):match("^(%w+)%s*=%s*(%w+)"))
print(("f(a(b)c)d"):match("%b()"), ("THE (quick) fox"):find("%f[%a]%a+", 5))
local packed = string.pack("<i4 >i8 z d", -2, 1 << 40, "zstr", 2.5)
print(#packed, string.unpack("<i4 >i8 z d", packed))
print(string.pack(">I2", 0xABCD):byte(1, -1))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"))
for p, c in utf8.codes("añ€") do io.write(p, "=", c, " ") end
print()
print(utf8.codepoint("häll€", 1, -1))
-- Building a long string piece by piece and hashing it.
local buf = {}
for i = 1, 2000 do buf[#buf + 1] = string.format("%04d:%s", i, string.char(65 + i % 26)) end
local big = table.concat(buf)
local h = 0
for i = 1, #big do h = (h * 31 + big:byte(i)) & 0xffffffff end
print(#big, h, big:sub(1, 30))
print(tostring(nil), tostring(true), tostring(12), tostring(12.0), tostring(-0.0))
print(tonumber("0x1p4"), tonumber("  10  "), tonumber("10", 2), tonumber("zz", 36), tonumber("1e"), tonumber("0x"))
print(("abc"):rep(3, ", "), ("x"):byte(), ("%"):rep(3))
