// tools/hf-simulator/tests/fake_plugin.h
//
// FakePlugin: a directory of five tiny shell scripts standing in for a provider plugin, so the
// simulator and its command line are tested without ohfp or AWS. The default scripts follow the
// contract (one acquire request that is running on the first poll and complete after, one return
// request complete at once); Set() replaces one script's body to break a rule.
//
// Thread-safety: one object per test.
//
// Example:
//   FakePlugin plugin;
//   plugin.Set("requestMachines", "echo 'not json'");
//   Simulator sim({.shim_dir = plugin.dir(), .clock = &clock});
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace ohfp::hf_simulator {

class FakePlugin {
 public:
  FakePlugin() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ohfp-fake-plugin-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    Set("getAvailableTemplates", R"sh(echo '{"templates": [{"templateId": "T", "maxNumber": 5,
  "availableNumber": 5, "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "1"],
  "nram": ["Numeric", "1024"]}}], "message": ""}')sh");
    Set("requestMachines", R"sh(echo '{"requestId": "req-1", "message": "launching"}')sh");
    // Running on the first poll, complete after; the return request is complete at once.
    Set("getRequestStatus", R"sh(here=$(dirname "$0")
if grep -q ret-1 "$2"; then
  echo '{"requests": [{"requestId": "ret-1", "status": "complete", "message": "", "machines": [
    {"machineId": "i-1", "name": "host-1", "result": "succeed", "status": "terminated",
     "privateIpAddress": "10.0.0.1", "publicIpAddress": null, "launchtime": 1734619942, "message": ""},
    {"machineId": "i-2", "name": "host-2", "result": "succeed", "status": "terminated",
     "privateIpAddress": "10.0.0.2", "publicIpAddress": null, "launchtime": 1734619942, "message": ""}]}]}'
  exit 0
fi
n=$(cat "$here/polls" 2>/dev/null || echo 0); echo $((n + 1)) > "$here/polls"
if [ "$n" = 0 ]; then
  echo '{"requests": [{"requestId": "req-1", "status": "running", "message": "", "machines": [
    {"machineId": "i-1", "name": "host-1", "result": "executing", "status": "pending",
     "privateIpAddress": "10.0.0.1", "publicIpAddress": null, "launchtime": 1734619942, "message": ""}]}]}'
else
  echo '{"requests": [{"requestId": "req-1", "status": "complete", "message": "", "machines": [
    {"machineId": "i-1", "name": "host-1", "result": "succeed", "status": "running",
     "privateIpAddress": "10.0.0.1", "publicIpAddress": null, "launchtime": 1734619942, "message": ""},
    {"machineId": "i-2", "name": "host-2", "result": "succeed", "status": "running",
     "privateIpAddress": "10.0.0.2", "publicIpAddress": null, "launchtime": 1734619942, "message": ""}]}]}'
fi)sh");
    Set("requestReturnMachines", R"sh(cp "$2" "$(dirname "$0")/returned.json"
echo '{"requestId": "ret-1", "message": "terminating"}')sh");
    Set("getReturnRequests", R"sh(echo '{"requests": [], "message": ""}')sh");
  }
  ~FakePlugin() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FakePlugin(const FakePlugin&) = delete;
  FakePlugin& operator=(const FakePlugin&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Replaces the body of <command>.sh (a /bin/sh script; $2 is the input file).
  void Set(const std::string& command, const std::string& body) const {
    const std::filesystem::path path = dir_ / (command + ".sh");
    std::ofstream(path, std::ios::trunc) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
  }

  // The input the last requestReturnMachines call received.
  std::string Returned() const {
    std::ifstream in(dir_ / "returned.json");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace ohfp::hf_simulator
