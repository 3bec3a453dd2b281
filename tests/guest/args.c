// guest-test: opt=O0,O2 arg=one arg=two-words=x arg= arg=ünï
/* argv and envp as the loader builds them: argc, every argument including
 * an empty one and UTF-8, argv[argc] == NULL, the test environment
 * variable (the harness runs with a fixed environment), the auxiliary
 * vector entries that have fixed values, and stack alignment at main. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv, char **envp) {
    printf("argc = %d\n", argc);
    const char *base = strrchr(argv[0], '/');
    /* The binary name carries the -O level, so print only a property. */
    printf("argv[0] basename starts with args: %s\n",
           strncmp(base ? base + 1 : argv[0], "args", 4) == 0 ? "yes" : "no");
    for (int i = 1; i < argc; i++) printf("argv[%d] = \"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    check("argv[argc] == NULL", argv[argc] == NULL);
    int n = 0, found = 0;
    for (char **e = envp; *e; e++) {
        n++;
        if (strncmp(*e, "GUEST_TEST_VAR=", 15) == 0) {
            printf("env: %s\n", *e);
            found = 1;
        }
    }
    check("envp has GUEST_TEST_VAR", found);
    check("getenv", getenv("GUEST_TEST_VAR") && strcmp(getenv("GUEST_TEST_VAR"), "hello guest") == 0);
    check("envp follows argv", envp == argv + argc + 1);
    check("environment not empty", n > 0);
    printf("AT_PAGESZ = %lu\n", getauxval(AT_PAGESZ));
    printf("AT_UID == getuid: %s\n", getauxval(AT_UID) == (unsigned long)getuid() ? "yes" : "no");
    printf("AT_SECURE = %lu\n", getauxval(AT_SECURE));
    printf("AT_HWCAP has IMAFDC: %s\n", (getauxval(AT_HWCAP) & 0x112d) == 0x112d ? "yes" : "no");
    check("AT_RANDOM present", getauxval(AT_RANDOM) != 0);
    check("AT_ENTRY present", getauxval(AT_ENTRY) != 0);
    check("AT_PHDR present", getauxval(AT_PHDR) != 0);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    check("AT_EXECFN is argv[0]", execfn && strcmp(execfn, argv[0]) == 0);
    /* The stack pointer is 16-byte aligned in main (psABI). */
    uintptr_t sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    check("sp 16-byte aligned", (sp & 15) == 0);
    return finish();
}
