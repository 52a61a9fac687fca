# Bundles the dashboard of `ohfp serve` into a C++ source, at build time: the page, one script (uPlot, then the
# dashboard's own) and one style sheet (uPlot's, then the dashboard's) as raw string literals, so that the binary
# serves them and nothing is loaded from elsewhere at run time. The sources are plugin/src/serve/web/ only:
# index.html, dashboard.js, dashboard.css, and uPlot's files in web/vendor/uplot/ (scripts/update-uplot.py
# refreshes them from npm at the version web/package-lock.json pins).
#
#   cmake -DWEB=plugin/src/serve/web -DOUT=dashboard_assets.cc -P bundle_dashboard.cmake
#
# plugin/src/serve/CMakeLists.txt runs it whenever one of those files changes.
cmake_minimum_required(VERSION 3.21)

if(NOT WEB OR NOT OUT)
  message(FATAL_ERROR "bundle_dashboard.cmake: pass -DWEB=<the web directory> -DOUT=<the file to write>")
endif()

set(delimiter "ohfp_asset")

# `var` := `text` as a C++ raw string literal.
function(raw_literal var text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "bundle_dashboard.cmake: a file in ${WEB} contains the raw string delimiter ${delimiter}")
  endif()
  set(${var} "R\"${delimiter}(${text})${delimiter}\"" PARENT_SCOPE)
endfunction()

file(READ "${WEB}/vendor/uplot/uPlot.iife.min.js" uplot_js)
file(READ "${WEB}/vendor/uplot/uPlot.min.css" uplot_css)
file(READ "${WEB}/index.html" index_html)
file(READ "${WEB}/dashboard.js" dashboard_js)
file(READ "${WEB}/dashboard.css" dashboard_css)
string(REGEX MATCH "uPlot \\(v([0-9.]+)\\)" _ "${uplot_js}")
set(uplot_version "${CMAKE_MATCH_1}")

# The script and the style are uPlot's, a newline, then the dashboard's.
raw_literal(page "${index_html}")
raw_literal(script "${uplot_js}\n${dashboard_js}")
raw_literal(style "${uplot_css}\n${dashboard_css}")

file(WRITE "${OUT}.tmp" "\
// Generated at build time by plugin/src/serve/bundle_dashboard.cmake from plugin/src/serve/web/ and uPlot \
${uplot_version}
// (MIT license, Copyright (c) 2022 Leon Sorokin; web/vendor/uplot/). Do not edit: change the sources.
// clang-format off
#include \"serve/dashboard_assets.h\"

namespace ohfp::serve {
namespace {

constexpr std::string_view kPage = ${page};

constexpr std::string_view kScript = ${script};

constexpr std::string_view kStyle = ${style};

}  // namespace

std::string_view DashboardPage() { return kPage; }
std::string_view DashboardScript() { return kScript; }
std::string_view DashboardStyle() { return kStyle; }

}  // namespace ohfp::serve
")
file(RENAME "${OUT}.tmp" "${OUT}")
