# Every third-party package the plugin tree uses, found once at the top level so that every directory sees the
# imported targets (they are scoped to the directory that finds them). All come from Debian packages installed by
# scripts/install-deps.sh.
#
# What the ohfp executable loads is paid on every HostFactory call (a process each), so the C++ libraries are
# compiled in rather than loaded: pugixml from its static archive, spdlog and fmt header-only; with
# OHFP_STATIC_CXX_RUNTIME the C++ runtime too (plugin/src/cli). C libraries that receive security updates, OpenSSL
# and SQLite, stay shared. docs/benchmarks.md has the measurements.
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(pugixml REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
add_library(ohfp_spdlog INTERFACE)
target_compile_definitions(ohfp_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
target_link_libraries(ohfp_spdlog INTERFACE fmt::fmt-header-only Threads::Threads)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# libpq's headers only: the PostgreSQL store loads the library with dlopen() (plugin/src/store/pg_library.h).
pkg_check_modules(LIBPQ REQUIRED libpq)
set(OHFP_LIBPQ_INCLUDE_DIRS ${LIBPQ_INCLUDE_DIRS})
