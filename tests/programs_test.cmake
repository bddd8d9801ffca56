# Runs the aiodb tool and the epoll example on a real SQLite file and checks
# what they print.
file(MAKE_DIRECTORY ${WORK})
set(db ${WORK}/programs.db)
file(REMOVE ${db})
set(url "sqlite:///${db}")

function(run expect_rc pattern)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 120)
  # The log never shows a password: a URL's is written ***.
  string(REGEX REPLACE "(://[^:/@ ]*):[^@ ]*@" "\\1:***@" shown "${ARGN}\n${out}${err}")
  message(STATUS "${shown}")
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "exit ${rc}, expected ${expect_rc}")
  endif()
  if(NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "output does not match '${pattern}'")
  endif()
endfunction()

run(0 "OK, 0 rows affected" ${TOOL} query ${url} "CREATE TABLE t(a INTEGER, b TEXT)")
run(0 "OK, 2 rows affected, last id 2" ${TOOL} query ${url} "INSERT INTO t VALUES (?, ?), (?, ?)" 1 one 2 NULL)
run(0 " a \\| b.*1 \\| one.*2 \\| NULL.*\\(2 rows\\)" ${TOOL} query ${url} "SELECT a, b FROM t ORDER BY a")
run(1 "AIODB_EINVAL: the statement takes 1 argument but 0 were given" ${TOOL} query ${url} "SELECT ?")
run(1 "AIODB_ESQL: no such table: nope" ${TOOL} query ${url} "SELECT * FROM nope")
run(1 "AIODB_ECONNECT" ${TOOL} query "mysql://u:s3cret@127.0.0.1:1/db?connect_timeout=5" "SELECT 1")
run(1 "AIODB_EINVAL: unknown URL scheme" ${TOOL} query "oracle://u:s3cret@localhost/db" "SELECT 1")
run(2 "usage" ${TOOL})
# --describe: the columns (aiodb_columns), then the indexes (aiodb_indexes)
run(0 "OK, 0 rows affected" ${TOOL} query ${url} "CREATE INDEX t_b ON t(b)")
run(0 " name \\| type +\\| nullable \\| default \\| pk \\| generated \\| autoincrement\n.*\n a +\\| INTEGER \\| +1 \\| NULL .*\n b .*\\(2 rows\\)\n\nindexes:\n name .*\n.*\n t_b +\\| +0 \\| +1 \\| b\n\\(1 row\\)"
    ${TOOL} query --describe t ${url})
run(1 "no table or view named nope" ${TOOL} query --describe nope ${url})
run(2 "query --describe needs a TABLE and a URL" ${TOOL} query --describe t)
# --help and -h, of the tool and of each command: the usage on stdout,
# nothing on stderr, exit 0.
function(help pattern)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 60)
  # The log never shows a password: a URL's is written ***.
  string(REGEX REPLACE "(://[^:/@ ]*):[^@ ]*@" "\\1:***@" shown "${ARGN}\n${out}${err}")
  message(STATUS "${shown}")
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "" OR NOT "${out}" MATCHES "${pattern}")
    message(FATAL_ERROR "exit ${rc}, stderr '${err}': want exit 0, no stderr, "
                        "and '${pattern}' on stdout")
  endif()
endfunction()
foreach(h --help -h)
  help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} ${h})
  help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} help ${h})
  help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} --version ${h})
  help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} query ${h})
  help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} query ${url} ${h})
  help("^usage: aiodb bench .*--rows N" ${TOOL} bench ${h})
endforeach()
# --trace: a line per statement on stderr, the SQL squeezed and cut at 120
set(trace_line "aiodb: trace: query conn 1: queued [0-9.]+ ms, run [0-9.]+ ms")
run(0 "${trace_line}, 2 rows, 0 affected: SELECT a, b FROM t ORDER BY a\n"
    ${TOOL} query --trace ${url} "SELECT a, b\n  FROM t ORDER BY a")
run(1 "${trace_line}, 0 rows, 0 affected, AIODB_ESQL: SELEC 1\naiodb: AIODB_ESQL"
    ${TOOL} query --trace ${url} "SELEC 1")
string(REPEAT "x" 300 long)
string(REPEAT "x" 109 shown)
run(0 "${trace_line}, 1 row, 0 affected: SELECT '${shown}[.][.][.]\n"
    ${TOOL} query --trace ${url} "SELECT '${long}' AS l")
help("^usage: aiodb query \\[--trace\\] URL SQL" ${TOOL} query --trace -h)
# with slow_query_ms in the URL, a fast statement prints none
execute_process(COMMAND ${TOOL} query --trace "${url}?slow_query_ms=100000" "SELECT 1"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT "${err}" STREQUAL "")
  message(FATAL_ERROR "slow_query_ms=100000: exit ${rc}, stderr '${err}'")
endif()
# after the SQL, "-h" is an argument like any other
run(0 " x.*-h.*\\(1 row\\)" ${TOOL} query ${url} "SELECT ? AS x" -h)
run(0 "1000 queries, 1000 callbacks" ${EXAMPLE} ${url})
# The benchmark suite, short: it runs and prints its table; no timings are
# judged here. A sqlite URL puts the suite's files next to the file it
# names, which stays as it was.
set(bench_header "workload +what +journal +ops/s +CPU s/s +us/op +p50 us +p99 us +RSS MiB +allocs/op +ratio")
run(0 "SQLite files in ${WORK}\nSQLite journal mode: WAL\n.*${bench_header}.*\nW1 raw +sqlite3 loop, 1 thread +WAL +[0-9]+ +[0-9.]+ .* base\n.*\nW1a .*x\n.*\nW2 raw +sqlite3 loop, 1 tx +WAL .*ratio W1a += [0-9.]+ \\(vs W1 raw; 1 repeat\\).*ratio W2c .*ratio W4a .*idle connections"
    ${TOOL} bench ${url} --short --rows 2000)
# --journal both: W1 and W2 again on the rollback journal, rows marked rj
run(0 "\nW1 raw +[^\n]* WAL [^\n]*\n.*\nW1 raw rj +[^\n]* delete [^\n]* base\n.*\nW2 raw rj +[^\n]* delete .*ratio W1a rj += [0-9.]+ \\(vs W1 raw rj; 1 repeat\\)"
    ${TOOL} bench ${url} --short --rows 2000 --inserts 500 --only W1,W2 --journal both)
run(2 "--journal wants wal, delete or both" ${TOOL} bench --journal off)
run(0 " a \\| b.*1 \\| one.*\\(2 rows\\)" ${TOOL} query ${url} "SELECT a, b FROM t ORDER BY a")
file(GLOB bench_left ${WORK}/aiodb-bench-*)
if(bench_left)
  message(FATAL_ERROR "aiodb bench left ${bench_left}")
endif()
run(0 "--rows N" ${TOOL} bench --help)
run(2 "not a sqlite, postgresql, mysql or mariadb URL" ${TOOL} bench oracle://x/y)
run(2 "--only: unknown workload 'W9'" ${TOOL} bench --only W1,W9)
if(BENCH_SUITE)
  run(0 "${bench_header}.*ratio W4a .*ratio W4b " ${BENCH_SUITE} --short --only W4 --dir ${WORK})
endif()
# On a test server (its fixture's folder dir, if there is a socket_url):
# the benchmark's rows bench_rows (after the header), a query with one
# placeholder (sql, given 1), and the legacy example, when built.
function(server_programs dir bench_rows sql legacy)
  if(NOT dir OR NOT EXISTS ${dir}/socket_url)
    return()
  endif()
  file(READ ${dir}/socket_url server_url)
  string(STRIP "${server_url}" server_url)
  run(0 "${bench_header}.*\n${bench_rows}" ${TOOL} bench "${server_url}" --short)
  run(0 "1 \\| x" ${TOOL} query "${server_url}" "${sql}" 1)
  # The guide's examples that take a URL, on this server too.
  if(DOC_DIR)
    run(0 "2 notes\n- call\n- groceries" ${DOC_DIR}/doc_notes_store "${server_url}")
    run(0 "2 notes\n- call\n- groceries" ${DOC_DIR}/doc_notes_store_0_1 "${server_url}")
    run(0 "visits in all" ${DOC_DIR}/doc_sync_helpers "${server_url}")
    run(0 "opened: 2 open.*AIODB_ETIMEDOUT: no connection within 300 ms.*diagnostics: 1 starved, 2 leaks"
        ${DOC_DIR}/doc_pool "${server_url}")
  endif()
  run(1 "aiodb: trace: query conn [0-9]+: .*, AIODB_ESQL \\(SQLSTATE 42[0-9]+\\): SELEC 1\n"
      ${TOOL} query --trace "${server_url}" "SELEC 1")
  if(legacy)
    run(0 "inside the transaction: 3 notes.*after the rollback: 2 notes.*callback: 2 notes"
        ${legacy} "${server_url}")
  endif()
endfunction()
# docs/examples/open_native.c on the PostgreSQL server: the program's own
# PGconn*, adopted and given back.
if(OPEN_NATIVE AND PG_DIR AND EXISTS ${PG_DIR}/socket_url)
  file(READ ${PG_DIR}/socket_url pg_url)
  string(STRIP "${pg_url}" pg_url)
  run(0 "through aiodb_run: 2 notes.*back in the program: 2 notes" ${OPEN_NATIVE} "${pg_url}")
endif()
server_programs("${PG_DIR}"
  "W3 pg raw .*\nW3 pg pipe .*\nW3a pg .*\nW3b pg .*ratio W3a pg += .*ratio W3b pg += .*ratio W3b pg/pipe += "
  "SELECT ?::int AS n, 'x' AS s" "${LEGACY_PG}")
server_programs("${MYSQL_DIR}"
  "W3 my raw .*\nW3a my .*\nW3b my .*ratio W3a my += .*ratio W3b my += "
  "SELECT ? AS n, 'x' AS s" "${LEGACY_MYSQL}")
# docs/examples/on_connect.c on each server: both pooled connections set up.
foreach(pair "${PG_DIR}|-> app, public" "${MYSQL_DIR}|-> \\+00:00")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 dir)
  list(GET pair 1 want)
  if(ON_CONNECT AND dir AND EXISTS ${dir}/socket_url)
    file(READ ${dir}/socket_url server_url)
    string(STRIP "${server_url}" server_url)
    run(0 "connection 1: .*${want}\nconnection 2: .*${want}\non_connect ran 2 times\nrefused: AIODB_ECONNECT: the schema 'app' is missing"
        ${ON_CONNECT} "${server_url}")
  endif()
endforeach()
# migrate: a folder of numbered SQL files; status, --dry-run, --to, a
# changed file refused, a failing file named with its statement.
set(mig ${WORK}/migrations)
file(REMOVE_RECURSE ${mig})
file(MAKE_DIRECTORY ${mig})
file(WRITE ${mig}/0001_create_notes.sql "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n-- seed; one row\nINSERT INTO notes VALUES (1, 'a;b');\n")
file(WRITE ${mig}/0002_more.sql "INSERT INTO notes VALUES (2, 'c')")
run(0 "1 \\| 0001_create_notes.sql \\| pending .*2 \\| 0002_more.sql +\\| pending .*2 files\n" ${TOOL} migrate status ${url} ${mig})
run(0 "2 files would be applied" ${TOOL} migrate --dry-run ${url} ${mig})
run(0 "1 \\| 0001_create_notes.sql \\| applied .*1 file applied" ${TOOL} migrate --to 1 ${url} ${mig})
run(0 "2 \\| 0002_more.sql \\| applied .*1 file applied" ${TOOL} migrate ${url} ${mig})
run(0 "^0 files applied" ${TOOL} migrate ${url} ${mig})
file(WRITE ${mig}/0003_bad.sql "INSERT INTO notes VALUES (3, 'd');\nINSERT INTO nope VALUES (1);\n")
run(1 "AIODB_ESQL: 0003_bad.sql, statement 2 \\(INSERT INTO nope VALUES \\(1\\)\\): no such table: nope" ${TOOL} migrate ${url} ${mig})
file(REMOVE ${mig}/0003_bad.sql)
file(APPEND ${mig}/0002_more.sql "\n")
run(1 "AIODB_EINVAL: aiodb_migrate: 0002_more.sql changed since it was applied" ${TOOL} migrate ${url} ${mig})
run(0 "1 \\| 0001_create_notes.sql \\| applied .*2 \\| 0002_more.sql +\\| changed " ${TOOL} migrate status ${url} ${mig})
run(0 " count\\(\\*\\)\n-+\n +2\n" ${TOOL} query ${url} "SELECT count(*) FROM notes")
run(1 "AIODB_EIO: aiodb_migrate: cannot open directory ${WORK}/nope" ${TOOL} migrate ${url} ${WORK}/nope)
file(WRITE ${mig}/notes.sql "SELECT 1")
run(1 "AIODB_EINVAL: aiodb_migrate: malformed migration file name notes.sql" ${TOOL} migrate ${url} ${mig})
run(2 "migrate needs a URL and a directory" ${TOOL} migrate ${url})
run(2 "--to needs a version" ${TOOL} migrate --to x ${url} ${mig})
run(1 "AIODB_ECONNECT" ${TOOL} migrate "mysql://u:s3cret@127.0.0.1:1/db?connect_timeout=5" ${mig})
help("^usage: aiodb query .*aiodb migrate status URL DIR" ${TOOL} migrate -h)
# migrate on each test server: MariaDB's note that DDL commits itself.
foreach(dir "${PG_DIR}" "${MYSQL_DIR}")
  if(dir AND EXISTS ${dir}/socket_url)
    file(READ ${dir}/socket_url server_url)
    string(STRIP "${server_url}" server_url)
    file(REMOVE_RECURSE ${mig})
    file(MAKE_DIRECTORY ${mig})
    file(WRITE ${mig}/0001_create.sql "CREATE TABLE prog_migrate (id INTEGER PRIMARY KEY);\nINSERT INTO prog_migrate VALUES (1);\n")
    run(0 "OK" ${TOOL} query "${server_url}" "DROP TABLE IF EXISTS prog_migrate")
    run(0 "OK" ${TOOL} query "${server_url}" "DROP TABLE IF EXISTS aiodb_migrations")
    if(dir STREQUAL "${MYSQL_DIR}")
      set(note "aiodb: note: MariaDB/MySQL commit DDL statements themselves: a file that fails may leave part of its work applied\n")
    else()
      set(note "")
    endif()
    run(0 "^ version \\| name .*1 \\| 0001_create.sql \\| applied .*1 file applied\n${note}$" ${TOOL} migrate "${server_url}" ${mig})
    run(0 "1 \\| 0001_create.sql \\| applied .*1 file\n" ${TOOL} migrate status "${server_url}" ${mig})
    run(0 "OK" ${TOOL} query "${server_url}" "DROP TABLE prog_migrate")
    run(0 "OK" ${TOOL} query "${server_url}" "DROP TABLE aiodb_migrations")
  endif()
endforeach()
