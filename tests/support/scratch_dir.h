// tests/support/scratch_dir.h
//
// ScratchDir: a fresh directory under the build tree (<build>/test-tmp/<prefix>-<pid>-<n>), for
// tests that write files the code under test reads; removed with everything in it when the object
// is destroyed. Unlike TempDir (subprocess.h) its paths are std::filesystem paths, and a failed
// test's files stay next to the build until the next run with the same name.
//
// Thread-safety: each object is used by one thread; constructing objects concurrently is safe
// (the counter is atomic).
//
// Example:
//   ScratchDir dir("plugin-config");
//   const std::filesystem::path file = dir.Write("config.json", R"({"provider": {}})");
//   EXPECT_TRUE(std::filesystem::exists(dir.path() / "config.json"));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ohfp::testing {

class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes `content` to `name` in the directory; returns the file's path.
  std::filesystem::path Write(const std::string& name, std::string_view content) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ohfp::testing
