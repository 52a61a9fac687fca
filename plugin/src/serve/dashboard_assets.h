// serve/dashboard_assets.h
//
// The dashboard `ohfp serve` shows at /: its page, script and style sheet, built into the binary
// (nothing is loaded from elsewhere at run time). The bytes are in dashboard_assets.cc, generated
// by scripts/build-dashboard.py from plugin/src/serve/web/ (the page, the script, the style sheet)
// and the charting library uPlot from npm (web/package-lock.json); the generated file is committed
// so that a build needs neither npm nor a network; `scripts/build-dashboard.py --check` (a test)
// fails when it is older than its sources.
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
