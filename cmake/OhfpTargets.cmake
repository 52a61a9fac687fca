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

# ohfp_test(<name> SOURCES ... LIBS ... [LABELS label] [ONE_PROCESS]): one GoogleTest binary, each TEST a ctest case.
# The label is unit (default), concurrency (also run under ThreadSanitizer) or integration (needs moto, or a
# PostgreSQL server). Integration binaries, and those marked ONE_PROCESS, are one ctest case: one process, so that
# what they start (moto, a PostgreSQL server) is started once.
function(ohfp_test name)
  cmake_parse_arguments(T "ONE_PROCESS" "" "SOURCES;LIBS;LABELS" ${ARGN})
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
  if(labels STREQUAL "integration" OR T_ONE_PROCESS)
    # Integration suites start moto (or a PostgreSQL server) once per binary: run the binary as one ctest test, not
    # one process per TEST. ONE_PROCESS does the same for a binary of another label.
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 1200)
  else()
    gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# ohfp_layer(<layer> SOURCES ... [PUBLIC ...] [PRIVATE ...]): the library of one plugin layer, ohfp::<layer>, built
# from plugin/src/<layer>/. Its include root holds that layer alone (a directory whose only entry, <layer>, points at
# plugin/src/<layer>), so `#include "<layer>/x.h"` resolves only for targets that link ohfp::<layer>: a lower layer
# that includes a higher one fails to compile. PUBLIC lists the layers (and packages) its headers need; PRIVATE
# those only its sources need. docs/architecture.md draws the layers.
function(ohfp_layer layer)
  cmake_parse_arguments(L "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  set(root "${PROJECT_BINARY_DIR}/include-roots/${layer}")
  file(MAKE_DIRECTORY "${root}")
  if(NOT EXISTS "${root}/${layer}")
    file(CREATE_LINK "${PROJECT_SOURCE_DIR}/plugin/src/${layer}" "${root}/${layer}" SYMBOLIC)
  endif()
  add_library(ohfp_${layer} ${L_SOURCES})
  add_library(ohfp::${layer} ALIAS ohfp_${layer})
  target_include_directories(ohfp_${layer} PUBLIC "${root}")
  target_link_libraries(ohfp_${layer} PUBLIC ${L_PUBLIC} PRIVATE ${L_PRIVATE})
  ohfp_warnings(ohfp_${layer})
endfunction()
