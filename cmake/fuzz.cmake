# The libFuzzer targets and their corpus replays.
#
# warren_fuzz_target(FUZZER <name> REPLAY <test> CORPUS <dir> LABEL <label>
#                    SOURCES <entry point...> SEEDS <seeds.cc...> LIBS <libs...>)
# The replay (a ctest, in every build) is the fuzzer's entry point with tests/fuzz/replay_main.cc,
# which feeds it every file of CORPUS once and writes the seeds with --write-seeds. The fuzzer
# itself is built only with -DWARREN_FUZZ=ON (clang, scripts/fuzz.sh).
option(WARREN_FUZZ "Build the libFuzzer targets (clang)" OFF)

function(warren_fuzz_target)
  cmake_parse_arguments(F "" "FUZZER;REPLAY;CORPUS;LABEL" "SOURCES;SEEDS;LIBS" ${ARGN})
  add_executable(${F_REPLAY} ${F_SOURCES} ${F_SEEDS} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_link_libraries(${F_REPLAY} PRIVATE ${F_LIBS})
  add_test(NAME ${F_REPLAY} COMMAND ${F_REPLAY} ${F_CORPUS})
  set_tests_properties(${F_REPLAY} PROPERTIES LABELS "${F_LABEL};fuzz" TIMEOUT 300)
  if(WARREN_FUZZ)
    add_executable(${F_FUZZER} ${F_SOURCES})
    target_compile_options(${F_FUZZER} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_FUZZER} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${F_FUZZER} PRIVATE ${F_LIBS})
  endif()
endfunction()
