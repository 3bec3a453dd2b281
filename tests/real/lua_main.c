/*
 * Minimal standalone Lua interpreter for the real-software test.
 *
 * The lua-src crate ships the Lua library but not lua.c, so this stands in
 * for it: `lua_main SCRIPT [ARGS...]` opens the standard libraries, sets the
 * global `arg` table like lua.c does (arg[0] is the script), runs the script
 * with a traceback handler and exits 0 on success. A Lua error prints the
 * message and traceback to stderr and exits 1; os.exit keeps its own status.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

/* Message handler: appends a traceback to the error message. */
static int traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "cannot create Lua state\n");
        return 1;
    }
    luaL_openlibs(L);

    lua_createtable(L, argc - 2, 2);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");

    lua_pushcfunction(L, traceback);
    int base = lua_gettop(L);
    int status = luaL_loadfile(L, argv[1]);
    if (status == LUA_OK) {
        for (int i = 2; i < argc; i++) {
            lua_pushstring(L, argv[i]);
        }
        status = lua_pcall(L, argc - 2, 0, base);
    }
    if (status != LUA_OK) {
        fflush(stdout);
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    lua_close(L);
    return 0;
}
