#include "cli/init_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace ohfp::cli {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

resilience::Result<Json> ReadJsonFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return resilience::Error(resilience::ErrorKind::kInternal, "UnreadableFile",
                             "cannot read " + path.string());
  }
  std::stringstream s;
  s << in.rdbuf();
  Json j = Json::parse(s.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return resilience::Error(resilience::ErrorKind::kValidation, "NotJson",
                             path.string() + " is not a JSON document");
  }
  return j;
}

resilience::Status WriteAtomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return resilience::Error(resilience::ErrorKind::kInternal, "CannotCreateDirectory",
                             "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  const fs::path temp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      fs::remove(temp, ec);
      return resilience::Error(resilience::ErrorKind::kInternal, "CannotWrite",
                               "cannot write " + temp.string());
    }
  }
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0) {
    ::chmod(temp.c_str(), old.st_mode & 07777);
    if (::chown(temp.c_str(), old.st_uid, old.st_gid) != 0) {
      // Not allowed (not root): the file becomes ours, as any file we write.
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return resilience::Error(
        resilience::ErrorKind::kInternal, "CannotWrite",
        "cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
  }
  return resilience::OkStatus();
}

resilience::Result<std::string> MergeEntry(const fs::path& path, const std::string& list_key,
                                           const Json& entry, bool force, bool* changed) {
  Json doc = Json::object();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    resilience::Result<Json> read = ReadJsonFile(path);
    if (!read.ok()) return read.error();
    doc = std::move(*read);
    if (!doc.is_object() || (doc.contains(list_key) && !doc[list_key].is_array())) {
      return resilience::Error(resilience::ErrorKind::kValidation, "UnexpectedRegistration",
                               path.string() +
                                   " is not a HostFactory registration file (expected an object "
                                   "with a \"" +
                                   list_key + "\" list)");
    }
  } else {
    doc["version"] = 2;
  }
  if (!doc.contains(list_key)) doc[list_key] = Json::array();
  Json& list = doc[list_key];
  const std::string name = entry["name"].get<std::string>();
  *changed = true;
  bool replaced = false;
  for (Json& existing : list) {
    if (!existing.is_object() || existing.value("name", std::string()) != name) continue;
    if (existing == entry) {
      *changed = false;
      return doc.dump(4) + "\n";
    }
    if (!force) {
      return resilience::Error(resilience::ErrorKind::kValidation, "EntryExists",
                               path.string() + " already has a different entry named \"" + name +
                                   "\": " + existing.dump() + " (--force replaces it)");
    }
    existing = entry;
    replaced = true;
  }
  if (!replaced) list.push_back(entry);
  return doc.dump(4) + "\n";
}

}  // namespace ohfp::cli
