// serve/dashboard_assets.h
//
// The dashboard `ohfp serve` shows at /: its page, script and style sheet, built into the binary
// (nothing is loaded from elsewhere at run time). Their only copy in the tree is
// plugin/src/serve/web/: the page, the script, the style sheet, and the charting library uPlot in
// web/vendor/uplot/ (the version web/package-lock.json pins; scripts/update-uplot.py refreshes it
// from npm). The build bundles them into dashboard_assets.cc in the build directory
// (bundle_dashboard.cmake), so a build needs neither npm nor a network.
//
// Thread-safety: constant data.
//
// Example:
//   response.set_content(std::string(DashboardScript()), "text/javascript");
#pragma once

#include <string_view>

namespace ohfp::serve {

std::string_view DashboardPage();    // index.html
std::string_view DashboardScript();  // uPlot and the dashboard's script, one file
std::string_view DashboardStyle();   // uPlot's and the dashboard's styles, one file

}  // namespace ohfp::serve
