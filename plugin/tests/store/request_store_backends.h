// The backends the RequestStore contract suite (request_store_contract_test.cc) runs against. Each
// is a name and a way to open a store at a location the test owns: a fresh location per test, and
// the same location for several processes when a test forks. A backend that cannot run here (no
// server) says why, and its tests are skipped with that message.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "store/request_store.h"

namespace ohfp::store::testing {

struct RequestStoreBackend {
  std::string name;
  // A new, empty location for one test (a file path, a database URL, ...), or nullopt with
  // `why_not` set when the backend cannot run here.
  std::function<std::optional<std::string>(const std::string& temp_dir, std::string& why_not)>
      make_location;
  // Opens (creating the schema of) the store at `location`.
  std::function<resilience::Result<std::unique_ptr<RequestStore>>(const std::string& location)>
      open;

  friend void PrintTo(const RequestStoreBackend& b, std::ostream* os) { *os << b.name; }
};

}  // namespace ohfp::store::testing
