// cli/init_files.h
//
// The files `ohfp init` reads and writes: a JSON file read whole, a file written atomically
// (keeping the mode and owner of the file it replaces), and an entry merged into one of
// HostFactory's registration files (hostProviderPlugins.json, hostProviders.json).
//
// Thread-safety: stateless functions; two processes writing the same file: the last rename wins.
//
// Example:
//   bool changed = true;
//   Result<std::string> text = MergeEntry(hfconf / "providers" / "hostProviders.json", "providers",
//                                         entry, /*force=*/false, &changed);
//   if (text.ok() && changed) Status s = WriteAtomically(path, *text);
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "ohfp/resilience/result.h"

namespace ohfp::cli {

// The JSON document in `path`: kValidation when it is not JSON, kInternal when it cannot be read.
resilience::Result<nlohmann::ordered_json> ReadJsonFile(const std::filesystem::path& path);

// Writes `text` to `path` atomically: a temporary file in the same directory, then a rename. A file
// replaced keeps its mode and, when allowed, its owner (HostFactory's files belong to its admin).
resilience::Status WriteAtomically(const std::filesystem::path& path, const std::string& text);

// Adds `entry` (an object with "name") to the list `list_key` of HostFactory's registration file
// `path` (created as {"version": 2, list_key: []} when missing), keeping every other entry.
// Sets `*changed` false when an identical entry is there already. kValidation when the file is not
// one HostFactory wrote, or holds a different entry of that name and `force` is off.
resilience::Result<std::string> MergeEntry(const std::filesystem::path& path,
                                           const std::string& list_key,
                                           const nlohmann::ordered_json& entry, bool force,
                                           bool* changed);

}  // namespace ohfp::cli
