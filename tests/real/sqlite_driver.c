/*
 * SQLite workload for the real-software test: builds a small schema, inserts
 * a few thousand generated rows inside transactions with prepared
 * statements, and prints the results of joins, aggregates, ORDER BY, LIKE,
 * GROUP BY/HAVING, window functions, CTEs and printf() with floats. It runs
 * the same workload on an in-memory database and on a file database (with a
 * rollback journal, then in WAL mode) under the directory given as argv[1],
 * which exercises file locking, pread/pwrite, fsync, truncation and shared
 * memory mappings.
 * Exit status: 0 on success, 1 on any SQLite error (printed to stdout).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static int failed;

/* sqlite3_exec callback: prints one row, columns separated by '|'. */
static int print_row(void *tag, int ncol, char **vals, char **names) {
    (void)names;
    printf("%s:", (const char *)tag);
    for (int i = 0; i < ncol; i++) printf("%s%s", i ? "|" : " ", vals[i] ? vals[i] : "NULL");
    printf("\n");
    return 0;
}

/* Runs `sql`, printing every result row tagged with `tag`. */
static void query(sqlite3 *db, const char *tag, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, (void *)tag, &err) != SQLITE_OK) {
        printf("%s: ERROR %s\n", tag, err ? err : "?");
        sqlite3_free(err);
        failed = 1;
    }
}

static void exec(sqlite3 *db, const char *sql) { query(db, "exec", sql); }

static uint32_t lcg = 12345;
static uint32_t next_rand(void) {
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 8) & 0xffffff;
}

static const char *first[] = {"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Niklaus", "Ken", "Dennis", "Frances"};
static const char *dept[] = {"compilers", "kernels", "databases", "networks", "graphics"};

static void populate(sqlite3 *db, int people, int orders) {
    lcg = 12345;
    exec(db,
         "CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, budget REAL);"
         "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, dept_id INTEGER REFERENCES dept(id),"
         " salary REAL, born INTEGER);"
         "CREATE TABLE orders(id INTEGER PRIMARY KEY, person_id INTEGER, amount REAL, item TEXT, qty INTEGER);"
         "CREATE INDEX orders_person ON orders(person_id);"
         "CREATE INDEX person_dept ON person(dept_id, salary);");
    exec(db, "BEGIN");
    for (int i = 0; i < 5; i++) {
        char *sql = sqlite3_mprintf("INSERT INTO dept(name, budget) VALUES(%Q, %.2f)", dept[i], 1e5 * (i + 1) + 0.25);
        exec(db, sql);
        sqlite3_free(sql);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO person(name, dept_id, salary, born) VALUES(?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
        printf("prepare: %s\n", sqlite3_errmsg(db));
        failed = 1;
        return;
    }
    for (int i = 0; i < people; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s %c. #%d", first[next_rand() % 10], 'A' + (int)(next_rand() % 26), i);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, 1 + (int)(next_rand() % 5));
        sqlite3_bind_double(st, 3, 30000.0 + (next_rand() % 9000000) / 100.0);
        sqlite3_bind_int64(st, 4, 1940 + (int64_t)(next_rand() % 60));
        if (sqlite3_step(st) != SQLITE_DONE) {
            printf("insert person: %s\n", sqlite3_errmsg(db));
            failed = 1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    static const char *items[] = {"widget", "gadget", "sprocket", "gizmo", "doohickey", "thingamajig"};
    sqlite3_prepare_v2(db, "INSERT INTO orders(person_id, amount, item, qty) VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL);
    for (int i = 0; i < orders; i++) {
        sqlite3_bind_int(st, 1, 1 + (int)(next_rand() % (uint32_t)people));
        sqlite3_bind_double(st, 2, (next_rand() % 100000) / 7.0);
        sqlite3_bind_text(st, 3, items[next_rand() % 6], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, 1 + (int)(next_rand() % 20));
        if (sqlite3_step(st) != SQLITE_DONE) {
            printf("insert order: %s\n", sqlite3_errmsg(db));
            failed = 1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
}

static void workload(sqlite3 *db) {
    populate(db, 2000, 6000);
    query(db, "counts", "SELECT (SELECT count(*) FROM dept), (SELECT count(*) FROM person), (SELECT count(*) FROM orders)");
    query(db, "dept_stats",
          "SELECT d.name, count(*), printf('%.2f', avg(p.salary)), printf('%.3e', sum(p.salary)),"
          " min(p.born), max(p.born) FROM person p JOIN dept d ON d.id = p.dept_id"
          " GROUP BY d.id ORDER BY d.name");
    query(db, "top_spenders",
          "SELECT p.name, printf('%.4f', sum(o.amount * o.qty)) AS total, count(o.id)"
          " FROM person p JOIN orders o ON o.person_id = p.id"
          " GROUP BY p.id ORDER BY sum(o.amount * o.qty) DESC, p.id LIMIT 8");
    query(db, "like", "SELECT count(*), min(name), max(name) FROM person WHERE name LIKE 'gr%' OR name LIKE '%K. #1_'");
    query(db, "glob", "SELECT count(*) FROM person WHERE name GLOB '*[0-9]7'");
    query(db, "items",
          "SELECT item, count(*), sum(qty), printf('%.6f', avg(amount)), printf('%12.3f', total(amount))"
          " FROM orders GROUP BY item HAVING count(*) > 100 ORDER BY 3 DESC");
    query(db, "no_orders", "SELECT count(*) FROM person WHERE id NOT IN (SELECT person_id FROM orders)");
    query(db, "left_join",
          "SELECT d.name, count(o.id) FROM dept d LEFT JOIN person p ON p.dept_id = d.id"
          " LEFT JOIN orders o ON o.person_id = p.id AND o.qty > 18 GROUP BY d.name ORDER BY 2 DESC, 1");
    query(db, "window",
          "SELECT name, salary, rnk FROM (SELECT name, printf('%.2f', salary) AS salary,"
          " rank() OVER (PARTITION BY dept_id ORDER BY salary DESC) AS rnk, dept_id FROM person)"
          " WHERE rnk <= 2 ORDER BY dept_id, rnk");
    query(db, "running",
          "SELECT id, printf('%.3f', sum(amount) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW))"
          " FROM orders WHERE id <= 6");
    query(db, "cte",
          "WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 90)"
          " SELECT n, a FROM fib WHERE n IN (10, 50, 90)");
    query(db, "floats",
          "SELECT printf('%.15g|%e|%.3f|%g', 1.0/3, 1e300*1e5, -2.5, 1e-5), 0.1 + 0.2, 1e308 * 10,"
          " round(2.675, 2), CAST('3.5e2' AS REAL), 7 / 2, 7 % 3, -7 / 2, 7.0 / 2, abs(-9223372036854775807)");
    query(db, "math", "SELECT sqrt(2), pow(2, 0.5), exp(1), ln(10), floor(-2.5), ceil(-2.5), sin(1), atan2(1, 2)");
    query(db, "strings",
          "SELECT upper('mixed Case'), length('héllo'), substr('abcdef', 2, 3), replace('aaa', 'a', 'bb'),"
          " instr('hello', 'll'), hex('AB'), quote('it''s'), trim('  x  '), char(72, 105), unicode('€'),"
          " printf('%5s|%-5s|%05d|%x', 'ab', 'cd', 42, 255)");
    query(db, "json",
          "SELECT json_object('a', 1, 'b', 2.5, 'c', json_array(1, 'x', NULL)), json_extract('{\"k\":[1,2,{\"z\":7}]}', '$.k[2].z')");
    query(db, "ordering",
          "SELECT id, name FROM person ORDER BY born DESC, salary ASC, name COLLATE NOCASE LIMIT 5 OFFSET 100");
    query(db, "distinct", "SELECT count(DISTINCT born), count(DISTINCT dept_id), group_concat(DISTINCT item) FROM person, (SELECT DISTINCT item FROM orders ORDER BY item) WHERE person.id < 3");
    exec(db, "BEGIN; UPDATE person SET salary = salary * 1.05 WHERE dept_id = 2;"
             " DELETE FROM orders WHERE qty = 1; COMMIT");
    exec(db, "BEGIN; DELETE FROM person; ROLLBACK");
    query(db, "after_update",
          "SELECT count(*), printf('%.2f', sum(salary)) FROM person UNION ALL SELECT count(*), printf('%.2f', sum(amount)) FROM orders");
    query(db, "range", "SELECT count(*) FROM orders WHERE person_id BETWEEN 10 AND 20");
    query(db, "integrity", "PRAGMA integrity_check");
    /* These two must fail; their messages are part of the output. */
    int saved = failed;
    query(db, "error_expected", "SELECT * FROM no_such_table");
    query(db, "constraint", "INSERT INTO dept(name) VALUES('kernels')");
    failed = saved;
}

static void run(const char *label, const char *path, const char *journal) {
    sqlite3 *db;
    printf("== %s ==\n", label);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        printf("open %s: %s\n", label, sqlite3_errmsg(db));
        exit(1);
    }
    if (journal) {
        char *sql = sqlite3_mprintf("PRAGMA journal_mode=%s", journal);
        query(db, "journal", sql);
        sqlite3_free(sql);
        exec(db, "PRAGMA cache_size=50");
    }
    workload(db);
    if (failed) exit(1);
    sqlite3_close(db);
}

int main(int argc, char **argv) {
    printf("sqlite %s\n", sqlite3_libversion());
    run("memory", ":memory:", NULL);
    if (argc > 1) {
        char path[4096];
        snprintf(path, sizeof path, "%s/test.db", argv[1]);
        run("file, rollback journal", path, "delete");
        /* Reopen: the data must have persisted. */
        sqlite3 *db;
        sqlite3_open(path, &db);
        query(db, "reopen", "SELECT count(*), printf('%.2f', sum(salary)) FROM person");
        sqlite3_close(db);
        snprintf(path, sizeof path, "%s/wal.db", argv[1]);
        run("file, WAL", path, "wal");
    }
    return 0;
}
