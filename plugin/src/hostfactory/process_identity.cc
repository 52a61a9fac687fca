#include "hostfactory/process_identity.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ohfp::hostfactory {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. The command name (field
// 2) is in parentheses and may contain spaces, so count from the last ')'.
std::string StartTime(std::int64_t pid) {
  const std::string stat = ReadFirstLine("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

std::string Boot() { return ReadFirstLine("/proc/sys/kernel/random/boot_id"); }

}  // namespace

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

model::ProcessIdentity CurrentProcess() {
  const std::int64_t pid = ::getpid();
  return {pid, Boot() + "/" + StartTime(pid), HostName()};
}

bool IsAlive(const model::ProcessIdentity& who) {
  if (who.pid <= 0) return false;
  if (!who.host.empty() && who.host != HostName()) return false;
  const std::string start = StartTime(who.pid);
  return !start.empty() && Boot() + "/" + start == who.start;
}

}  // namespace ohfp::hostfactory
