// fuzz/fuzz_file.h
//
// A file the fuzz targets whose readers take a path (config.json, awsprov_templates.json) write
// each input to: one per process, in /dev/shm (else TMPDIR, else /tmp), removed at exit.
//
// Thread-safety: one fuzz target thread (libFuzzer runs inputs one at a time).
//
// Example:
//   static FuzzFile file("config.json");
//   file.Write(text);
//   LoadPluginConfig(file.path(), env);
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

class FuzzFile {
 public:
  explicit FuzzFile(const std::string& name) {
    // Memory-backed when the machine has /dev/shm: five times as many executions as on disk.
    const char* tmp = std::getenv("TMPDIR");
    const std::filesystem::path base = ::access("/dev/shm", W_OK) == 0  ? "/dev/shm"
                                       : tmp != nullptr && *tmp != '\0' ? tmp
                                                                        : "/tmp";
    dir_ = base / ("ohfp-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = dir_ / name;
  }
  ~FuzzFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FuzzFile(const FuzzFile&) = delete;
  FuzzFile& operator=(const FuzzFile&) = delete;

  void Write(std::string_view text) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};
