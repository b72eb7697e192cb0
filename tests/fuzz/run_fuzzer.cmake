# One ctest fuzz run (CMakeLists.txt here): copies the seed corpus into the build tree, so that
# what libFuzzer adds never lands in the source tree, then fuzzes for SECONDS. A crash, a leak,
# a sanitizer report, a timeout or the RSS limit fails the test; the input that caused it is
# left in WORK (crash-*, leak-*, timeout-*, oom-*) and named in the output.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
# Readable stack traces: Debian's llvm-14 has only the versioned name of the symbolizer.
find_program(symbolizer NAMES llvm-symbolizer llvm-symbolizer-14 PATHS /usr/lib/llvm-14/bin)
if(symbolizer AND NOT DEFINED ENV{ASAN_SYMBOLIZER_PATH})
  set(ENV{ASAN_SYMBOLIZER_PATH} ${symbolizer})
endif()
if(NOT DEFINED ENV{UBSAN_OPTIONS})
  set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
endif()
set(dict_option "")
if(EXISTS ${DICT})
  set(dict_option -dict=${DICT})
endif()
execute_process(
  COMMAND ${FUZZER} ${WORK}/corpus ${dict_option}
    -max_total_time=${SECONDS} -max_len=${MAX_LEN} -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix=${WORK}/
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB artifacts ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-* ${WORK}/slow-unit-*)
  message(FATAL_ERROR "${FUZZER} failed (${result}); reproduce with: ${FUZZER} ${artifacts}")
endif()
