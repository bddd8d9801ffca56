# Runs the aiodb tool and the epoll example on a real SQLite file and checks
# what they print.
file(MAKE_DIRECTORY ${WORK})
set(db ${WORK}/programs.db)
file(REMOVE ${db})
set(url "sqlite:///${db}")

function(run expect_rc pattern)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 120)
  message(STATUS "${ARGN}\n${out}${err}")
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
run(1 "AIODB_EUNSUPPORTED" ${TOOL} query "postgresql://u:s3cret@localhost/db" "SELECT 1")
run(2 "usage" ${TOOL})
run(0 "1000 queries, 1000 callbacks" ${EXAMPLE} ${url})
run(0 "aiodb-1/raw.*aiodb-64/raw" ${TOOL} bench ${url} --seconds 1 --rows 1000)
