# What `cmake --install` puts where (GNUInstallDirs, under CMAKE_INSTALL_PREFIX), by component. The Debian
# packages (cmake/OhfpPackage.cmake) are these components; docs/operations.md and docs/library.md describe the
# layout for users.
#
#   runtime  bin/ohfp; libexec/ohfp/hostfactory/ (the five HostFactory scripts); etc/ohfp/ (example
#            configuration: /etc/ohfp when the prefix is /usr); share/ohfp/scenarios/; share/doc/ohfp/;
#            share/man/man1/ohfp.1.gz
#   tools    bin/ohfp-chaos-proxy, bin/ohfp-hf-simulator, their man pages, the proxy's example rules
#   library  lib/libohfp-resilience.so.<SOVERSION> (resilience/CMakeLists.txt says why 0.<minor>)
#   dev      include/ohfp/resilience/ (and testing/), lib/libohfp-resilience.{so,a},
#            lib/cmake/ohfp/ (find_package(ohfp)), lib/pkgconfig/ohfp-resilience.pc
#
# The ohfp executable links the resilience library statically: installing it adds no shared object to the
# process HostFactory starts for every call.
include(CMakePackageConfigHelpers)

set(OHFP_PACKAGE_MAINTAINER "Seed c07d08bb maintainers <maintainers@users.noreply.r-seed-c07d08bb.example>"
    CACHE STRING "Maintainer of the Debian packages (name <email>)")
set(OHFP_PACKAGE_DOC_NAMES ohfp ohfp-serve ohfp-tools libohfp-resilience${OHFP_RESILIENCE_SOVERSION}
  libohfp-resilience-dev)
set(OHFP_PACKAGE_COMPONENTS runtime serve tools library dev)

# OHFP_INSTALL_SHIMDIR and the relative paths between it and bin/: cmake/OhfpInstallDirs.cmake.

# --- the library -----------------------------------------------------------------------------------------------
install(TARGETS ohfp_resilience_shared EXPORT ohfpTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT library NAMELINK_COMPONENT dev)
install(TARGETS ohfp_resilience ohfp_resilience_testing EXPORT ohfpTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resilience/include/ ${PROJECT_SOURCE_DIR}/resilience/testing/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")
set(OHFP_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ohfp")
install(EXPORT ohfpTargets NAMESPACE ohfp:: DESTINATION ${OHFP_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ohfpConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ohfpConfig.cmake INSTALL_DESTINATION ${OHFP_CMAKE_DIR})
# 0.x: a new minor version may break the API and the ABI (it changes the SOVERSION), so only the same
# major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ohfpConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ohfpConfig.cmake ${PROJECT_BINARY_DIR}/ohfpConfigVersion.cmake
  DESTINATION ${OHFP_CMAKE_DIR} COMPONENT dev)
# pkg-config: paths relative to the .pc file, so the file is right wherever the prefix ends up.
file(RELATIVE_PATH ohfp_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" ohfp_pc_to_prefix "${ohfp_pc_to_prefix}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ohfp-resilience.pc.in ${PROJECT_BINARY_DIR}/ohfp-resilience.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ohfp-resilience.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/docs/library.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libohfp-resilience-dev
  COMPONENT dev)

# Debian wants a copyright file and a changelog in /usr/share/doc/<package>/ of every package.
string(TIMESTAMP ohfp_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
foreach(doc_name component IN ZIP_LISTS OHFP_PACKAGE_DOC_NAMES OHFP_PACKAGE_COMPONENTS)
  set(changelog ${PROJECT_BINARY_DIR}/packaging/${doc_name}/changelog)
  file(WRITE ${changelog}
    "ohfp (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
    "  * ohfp ${PROJECT_VERSION}, packaged with CPack from the ohfp source tree.\n\n"
    " -- ${OHFP_PACKAGE_MAINTAINER}  ${ohfp_changelog_date}\n")
  add_custom_command(OUTPUT ${changelog}.gz
    COMMAND gzip -9nkf ${changelog}
    DEPENDS ${changelog} VERBATIM)
  list(APPEND ohfp_packaging_outputs ${changelog}.gz)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${changelog}.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${doc_name} COMPONENT ${component})
endforeach()
add_custom_target(ohfp_packaging_files ALL DEPENDS ${ohfp_packaging_outputs})

if(NOT OHFP_BUILD_PLUGIN)
  return()
endif()

# --- the plugin and its tools ----------------------------------------------------------------------------------
install(TARGETS ohfp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS ohfp-serve RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT serve)
install(TARGETS ohfp-chaos-proxy ohfp-hf-simulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)

# The HostFactory scripts: ohfp-command.sh with relative_bin pointing at the installed ohfp, and the five
# links to it (as in scripts/hostfactory/).
file(READ ${PROJECT_SOURCE_DIR}/scripts/hostfactory/ohfp-command.sh ohfp_shim)
string(REGEX REPLACE "\nrelative_bin=[^\n]*\n" "\nrelative_bin=${OHFP_INSTALL_SHIM_TO_BIN}/ohfp\n" ohfp_installed_shim
       "${ohfp_shim}")
if(ohfp_installed_shim STREQUAL ohfp_shim)
  message(FATAL_ERROR "scripts/hostfactory/ohfp-command.sh has no relative_bin= line to rewrite")
endif()
set(ohfp_shim_stage ${PROJECT_BINARY_DIR}/packaging/hostfactory)
file(CONFIGURE OUTPUT ${ohfp_shim_stage}/ohfp-command.sh CONTENT "${ohfp_installed_shim}" @ONLY)
set(OHFP_HOSTFACTORY_COMMANDS getAvailableTemplates requestMachines getRequestStatus requestReturnMachines
    getReturnRequests)
foreach(command IN LISTS OHFP_HOSTFACTORY_COMMANDS)
  file(CREATE_LINK ohfp-command.sh ${ohfp_shim_stage}/${command}.sh SYMBOLIC)
  list(APPEND ohfp_shim_links ${ohfp_shim_stage}/${command}.sh)
endforeach()
install(PROGRAMS ${ohfp_shim_stage}/ohfp-command.sh DESTINATION ${OHFP_INSTALL_SHIMDIR} COMPONENT runtime)
install(FILES ${ohfp_shim_links} DESTINATION ${OHFP_INSTALL_SHIMDIR} COMPONENT runtime)

# Example configuration, in etc/ohfp under the prefix; for a prefix DIR/usr in DIR/etc/ohfp instead, so /etc/ohfp
# for /usr (as GNUInstallDirs does for CMAKE_INSTALL_FULL_SYSCONFDIR) and for CPack's staging directory.
# Decided when installing, so that `cmake --install --prefix DIR` keeps everything under DIR. The Debian package
# marks these files as conffiles.
set(OHFP_CONFIG_EXAMPLES
  ${PROJECT_SOURCE_DIR}/config/examples/config.json
  ${PROJECT_SOURCE_DIR}/config/examples/awsprov_templates.json
  ${PROJECT_SOURCE_DIR}/config/examples/seed-resilience.json
  ${PROJECT_SOURCE_DIR}/config/recommended-resilience.json)
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"^(.*)/usr/?\$\")
    set(ohfp_etc \"\${CMAKE_MATCH_1}/etc/ohfp\")
  else()
    set(ohfp_etc \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/ohfp\")
  endif()
  file(INSTALL ${OHFP_CONFIG_EXAMPLES} DESTINATION \"\${ohfp_etc}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
" COMPONENT runtime)
# `ohfp serve`'s systemd unit, in lib/systemd/system beside the prefix's /usr (/lib/systemd/system for /usr, as
# Debian 12 places units), under the prefix otherwise; and its environment file's example, beside the others.
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"^(.*)/usr/?\$\")
    set(ohfp_root \"\${CMAKE_MATCH_1}\")
    set(ohfp_etc \"\${CMAKE_MATCH_1}/etc/ohfp\")
  else()
    set(ohfp_root \"\${CMAKE_INSTALL_PREFIX}\")
    set(ohfp_etc \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/ohfp\")
  endif()
  file(INSTALL ${PROJECT_SOURCE_DIR}/packaging/systemd/ohfp-serve.service
       DESTINATION \"\${ohfp_root}/lib/systemd/system\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(INSTALL ${PROJECT_SOURCE_DIR}/packaging/systemd/serve.env.example DESTINATION \"\${ohfp_etc}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
" COMPONENT serve)
install(FILES ${PROJECT_SOURCE_DIR}/config/scenarios/throttle-storm.faults.json
  ${PROJECT_SOURCE_DIR}/config/scenarios/throttle-storm.trace.jsonl
  DESTINATION ${CMAKE_INSTALL_DATADIR}/ohfp/scenarios COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
  ${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/docs/resilience.md
  ${PROJECT_SOURCE_DIR}/docs/providers.md ${PROJECT_SOURCE_DIR}/docs/architecture.md
  ${PROJECT_SOURCE_DIR}/docs/benchmarks.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ohfp COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/tools/chaos-proxy/README.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ohfp-tools/chaos-proxy COMPONENT tools)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/tools/chaos-proxy/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ohfp-tools/chaos-proxy/examples COMPONENT tools)

# Man pages from each program's --help (help2man), gzipped as Debian wants them. Not in sanitizer builds,
# whose programs are not installed.
find_program(OHFP_HELP2MAN help2man)
if(CMAKE_CXX_FLAGS MATCHES "sanitize")
  return()
endif()
if(NOT OHFP_HELP2MAN)
  message(WARNING "help2man not found (scripts/install-deps.sh installs it): no man pages")
  return()
endif()
set(ohfp_man_programs ohfp ohfp-serve ohfp-chaos-proxy ohfp-hf-simulator)
set(ohfp_man_components runtime serve tools tools)
set(ohfp_man_names
  "Open Host Factory Plugin for AWS: HostFactory's provider commands, ohfp init, operator commands"
  "ohfp serve: REST API, Prometheus metrics and dashboard of an ohfp installation"
  "fault-injecting HTTP proxy for AWS Query API traffic"
  "plays IBM Spectrum Symphony's HostFactory against a provider plugin's scripts")
foreach(program component name IN ZIP_LISTS ohfp_man_programs ohfp_man_components ohfp_man_names)
  set(page ${PROJECT_BINARY_DIR}/packaging/man/${program}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging/man
    COMMAND ${OHFP_HELP2MAN} --no-info --section=1 --version-string=${PROJECT_VERSION} --name=${name}
            --output=${page} $<TARGET_FILE:${program}>
    COMMAND gzip -9nf ${page}
    DEPENDS ${program} VERBATIM)
  list(APPEND ohfp_man_pages ${page}.gz)
  install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
endforeach()
add_custom_target(ohfp_man_pages ALL DEPENDS ${ohfp_man_pages})
