# The script crates/vm-cli/tests/shell.rs runs with minish (tests/shell/
# minish.c), natively and under the VM, with the tools of tests/shell/
# tools.c on PATH. It runs in a fresh empty directory and prints nothing
# that depends on the host (no paths, no pids), so the outputs must be
# identical. It is also valid for /bin/sh with those tools on PATH.

echo "== quoting and variables"
name=world
greeting="hello,   $name"
echo $greeting
echo "$greeting"
echo '$name stays' "${name}s" a\ b "" end
empty=
echo "[$empty]" [$empty]
x=1; y=2; echo "$x$y" ${x}-${y}

echo "== exit statuses"
true; echo "true -> $?"
false; echo "false -> $?"
! false; echo "! false -> $?"
grep nothing-here script-missing.txt 2>/dev/null; echo "grep missing file -> $?"
no-such-command-xyz 2>/dev/null; echo "not found -> $?"
expr 7 - 7 >/dev/null; echo "expr zero -> $?"
(exit 42); echo "subshell exit -> $?"
false || echo "or runs after failure"
true || echo "not printed"
true && echo "and runs after success"
false && echo "not printed"
false || false || echo "chain of ors"
true && false || echo "and then or: $?"

echo "== pipelines"
seq 1 20 | grep 1 | wc -l
seq 1 10 | sort -r | head -n 3 | tr '0-9' 'a-j'
echo "b a c a b a" | tr ' ' '\n' | sort | uniq -c | sort -rn
seq 1 100000 | head -n 2
echo "pipeline status is the last stage: $(false | true; echo $?) $(true | false; echo $?)"
seq 5 | cat | cat | cat | cat | wc -l

echo "== subshells"
v=outer
(v=inner; echo "inside: $v"; (v=deeper; echo "nested: $v"); echo "back: $v")
echo "outside: $v"
(cd / && pwd)
(echo one; echo two; echo three) | sort -r
( (echo a; (echo b | tr b B)); echo c ) | cat

echo "== command substitution"
n=$(seq 1 7 | wc -l)
echo "lines: $n"
echo "nested: $(echo "in $(echo deep $(echo deeper))")"
words=$(echo alpha beta gamma)
for w in $words; do echo "word $w"; done
for w in "$words"; do echo "one field: $w"; done
echo "status of assignment: $(x=$(false); echo $?)"
total=0
for i in $(seq 1 5); do
    sq=$(expr $i \* $i)
    total=$(expr $total + $sq)
    echo "i=$i sq=$sq total=$total"
done

echo "== while with expr"
i=0
sum=0
while [ $i -lt 10 ]; do
    i=$(expr $i + 1)
    if [ $(expr $i % 2) -eq 0 ]; then
        sum=$(expr $sum + $i)
    fi
done
echo "sum of even numbers to 10: $sum"
n=7; steps=0
while test $n -ne 1; do
    if [ $(expr $n % 2) -eq 0 ]; then n=$(expr $n / 2); else n=$(expr 3 \* $n + 1); fi
    steps=$(expr $steps + 1)
done
echo "collatz 7 steps: $steps"
k=3
until [ $k -eq 0 ]; do echo "countdown $k"; k=$(expr $k - 1); done

echo "== if, elif, break, continue"
for v in 1 2 3 4 5 6 7 8; do
    if [ $v -eq 2 ]; then continue
    elif [ $v -eq 6 ]; then break
    elif test $(expr $v % 2) = 1; then echo "$v odd"
    else echo "$v even"
    fi
done
for a in x y; do
    for b in 1 2 3; do
        if [ $b = 2 ]; then continue 2; fi
        echo "$a$b"
    done
done

echo "== redirections"
echo first > out.txt
echo second >> out.txt
seq 3 >> out.txt
cat out.txt
wc -l < out.txt
cat < out.txt | grep -c e
cat missing-file 2>&1 | grep -c missing-file
(echo to-stderr 1>&2) 2>&1 | tr a-z A-Z
for f in a b c; do echo "file $f"; done > loop.txt
wc -l loop.txt
while read line; do echo "read: $line"; done < loop.txt
seq 4 | while read num; do echo "piped read $num"; done
if [ -f out.txt ]; then echo "out.txt exists"; fi
if [ -f nothing.txt ]; then echo "wrong"; else echo "nothing.txt absent"; fi
> empty.txt
if [ -s empty.txt ]; then echo "wrong"; else echo "empty.txt is empty"; fi
export EXPORTED=from-parent
(echo "child sees $EXPORTED")
NOT_EXPORTED=x
echo "$(test -z "$NOT_EXPORTED" && echo empty || echo set)"

echo "== failing command with ||"
cat /no/such/file 2>/dev/null || echo "cat failed with $?"
expr 1 / 0 2>/dev/null || echo "division failed with $?"
grep zzz out.txt || echo "no zzz: $?"
[ 3 -gt 5 ] || echo "3 is not greater than 5"

echo "== done"
exit 3
