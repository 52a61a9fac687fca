# Helpers shared by every ohfp target: warnings, and test registration.

# ohfp_warnings(<target>): the project's warning set; -Werror when OHFP_WERROR is on.
function(ohfp_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
  if(OHFP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # Sanitizer instrumentation makes g++ 12 report -Wmaybe-uninitialized inside libstdc++ (std::regex,
  # std::function) where nothing is uninitialized; the optimised build keeps the warning.
  if(CMAKE_CXX_FLAGS MATCHES "sanitize" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

# ohfp_test(<name> SOURCES ... LIBS ... [LABELS label]): one GoogleTest binary, each TEST a ctest case. The label
# is unit (default), concurrency (also run under ThreadSanitizer) or integration (needs moto).
function(ohfp_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  ohfp_warnings(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    OHFP_SOURCE_DIR="${PROJECT_SOURCE_DIR}" OHFP_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  list(LENGTH labels label_count)
  if(label_count GREATER 1)
    # gtest_discover_tests cannot pass a list-valued property through to the tests it discovers.
    message(FATAL_ERROR "ohfp_test(${name}): give one label (unit, concurrency or integration)")
  endif()
  if(labels STREQUAL "integration")
    # Integration suites start moto once per suite: run the binary as one ctest test, not one process per TEST.
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT 1200)
  else()
    gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
