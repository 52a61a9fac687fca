#include "scratch_dir.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <system_error>

namespace ohfp::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(std::string_view prefix) {
  static std::atomic<int> counter{0};
  path_ =
      fs::path(OHFP_BINARY_DIR) / "test-tmp" /
      (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path ScratchDir::Write(const std::string& name, std::string_view content) const {
  const fs::path file = path_ / name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

}  // namespace ohfp::testing
