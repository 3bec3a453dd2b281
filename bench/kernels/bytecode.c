/* A switch-heavy interpreter loop: a small stack-machine bytecode VM whose
 * dispatch compiles to an indirect jump through a table. The program computes
 * a sum of i*i mod 7919 plus a nested counting loop, n times over. */
#include "common.h"

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, DUP, DROP, JNZ, JMP, LT, XOR, HALT };

struct insn { uint8_t op; int32_t arg; };

static int64_t run(const struct insn *code, int64_t *vars) {
    int64_t stack[64];
    int sp = 0, pc = 0;
    for (;;) {
        const struct insn in = code[pc++];
        switch (in.op) {
        case PUSH: stack[sp++] = in.arg; break;
        case LOAD: stack[sp++] = vars[in.arg]; break;
        case STORE: vars[in.arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case JNZ: if (stack[--sp]) pc = in.arg; break;
        case JMP: pc = in.arg; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case HALT: return vars[0];
        default: return -1;
        }
    }
}

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 4000);
    /* vars: 0 = acc, 1 = i, 2 = limit */
    static const struct insn prog[] = {
        /* 0 */ {LOAD, 1}, {LOAD, 2}, {LT, 0}, {JNZ, 5}, {HALT, 0},
        /* 5: acc = (acc + i*i % 7919) ^ i */
        {LOAD, 0}, {LOAD, 1}, {DUP, 0}, {MUL, 0}, {PUSH, 7919}, {MOD, 0},
        {ADD, 0}, {LOAD, 1}, {XOR, 0}, {STORE, 0},
        /* 15: i = i + 1; goto 0 */
        {LOAD, 1}, {PUSH, 1}, {ADD, 0}, {STORE, 1}, {JMP, 0},
    };
    uint64_t sum = 0;
    for (long r = 0; r < n; r++) {
        int64_t vars[3] = {r, 0, 1000 + (r & 63)};
        sum = sum * 31 + (uint64_t)run(prog, vars);
    }
    bench_report("bytecode", n, sum);
    return 0;
}
