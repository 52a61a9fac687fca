# Debian packages with CPack: `cpack -G DEB` in the build tree (after the build) writes one package per install
# component of cmake/OhfpInstall.cmake, installed under /usr (the example configuration in /etc/ohfp):
#
#   ohfp                       runtime: the ohfp executable, the HostFactory scripts, /etc/ohfp (conffiles), docs
#   ohfp-serve                 serve: ohfp-serve (REST API, /metrics, dashboard), its systemd unit and
#                              /etc/ohfp/serve.env.example; apart, so the per-call package loads no HTTP server
#   ohfp-tools                 ohfp-chaos-proxy and ohfp-hf-simulator (testing a site's setup against failure)
#   libohfp-resilience<SOVER>  the resilience library, shared
#   libohfp-resilience-dev     its headers, static archive, CMake package and pkg-config file
#
# Depends comes from dpkg-shlibdeps (package dpkg-dev) on the ELF files actually in each package; the library
# package gets a shlibs file and the ldconfig trigger. Binaries are stripped. tests/install/check_package.sh
# checks the result (dpkg-deb --info/--contents, lintian, install and purge in a scratch dpkg root);
# docs/operations.md lists lintian's remaining remarks and why they stay.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ohfp)
set(CPACK_PACKAGE_VENDOR "the ohfp project")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${OHFP_PACKAGE_MAINTAINER}")
# Each package's description is its component's (first line: the summary). CPack would put the project's
# description above it unless the summary is CPack's own default.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# <staging>/usr: the example configuration goes to <staging>/etc/ohfp, i.e. /etc/ohfp (OhfpInstall.cmake).
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime serve tools library dev)
if(NOT OHFP_BUILD_PLUGIN)
  set(CPACK_COMPONENTS_ALL library dev)  # the library alone
endif()
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${OHFP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # cheaper than xz for CI; the packages are small

set(ohfp_library_package libohfp-resilience${OHFP_RESILIENCE_SOVERSION})

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ohfp)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "Open Host Factory Plugin for AWS, with a resilience layer
ohfp is the provider plugin through which IBM Spectrum Symphony's HostFactory
borrows and returns AWS machines (RunInstances, EC2 Fleet, Spot Fleet, Auto
Scaling groups). Circuit breakers and retry budgets are shared by the process
HostFactory starts for every call; every AWS call has a deadline.

This package holds the ohfp executable, the HostFactory scripts in
/usr/libexec/ohfp/hostfactory, example configuration in /etc/ohfp and the
documentation. `ohfp init` writes a provider directory and the entries that
register it with HostFactory.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/deb/runtime/conffiles)
set(ohfp_conffiles "")
foreach(file config.json awsprov_templates.json seed-resilience.json recommended-resilience.json)
  string(APPEND ohfp_conffiles "/etc/ohfp/${file}\n")
endforeach()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/deb/runtime/conffiles CONTENT "${ohfp_conffiles}")

set(CPACK_DEBIAN_SERVE_PACKAGE_NAME ohfp-serve)
set(CPACK_DEBIAN_SERVE_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_SERVE_PACKAGE_DEPENDS "ohfp (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_SERVE_DESCRIPTION
  "REST API, Prometheus metrics and dashboard of an ohfp installation
ohfp serve runs beside the HostFactory commands and reads the same state
store: requests, machines, circuit breakers, the retry quota, metrics and
recent events, as a versioned JSON API, a Prometheus /metrics endpoint and a
live dashboard; operator actions (force a breaker open or closed, reconcile)
need a bearer token. A systemd unit is included.")
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/deb/serve/conffiles CONTENT "/etc/ohfp/serve.env.example\n")
set(CPACK_DEBIAN_SERVE_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/deb/serve/conffiles)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ohfp-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "chaos proxy and HostFactory simulator for testing ohfp
ohfp-chaos-proxy sits between a client and an AWS endpoint (or the moto
emulator) and injects throttling, errors, latency, hangs and lost answers.
ohfp-hf-simulator plays HostFactory against a provider plugin's five scripts
and checks every answer against the HostFactory provider contract.")

set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME ${ohfp_library_package})
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libs)
# A shlibs file for the packages with a shared library (CPack reads only the global switch), and the
# ldconfig trigger Debian wants. CPack also writes postinst/postrm scripts calling ldconfig (lintian:
# maintscript-calls-ldconfig, a warning): redundant with the trigger, harmless.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/deb/library/triggers CONTENT "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/deb/library/triggers)
set(CPACK_COMPONENT_LIBRARY_DESCRIPTION
  "circuit breakers, retries and deadlines for C++ (shared library)
Circuit breakers whose state can be shared by processes, retries with
exponential backoff and full, equal or decorrelated jitter, a retry quota,
deadlines, AWS error classification, monitoring, and a discrete-event
simulator to replay outages against a configuration. C++20.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libohfp-resilience-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${ohfp_library_package} (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "circuit breakers, retries and deadlines for C++ (development files)
Headers, the static archive, the CMake package (find_package(ohfp) gives
ohfp::resilience, ohfp::resilience_static and ohfp::resilience_testing) and
the pkg-config file ohfp-resilience.pc.")

include(CPack)
