// The backends a contract suite runs against: the RequestStore suite
// (request_store_contract_test.cc), the resilience StateStore suite
// (state_store_contract_test.cc) and the concurrency suite (state_store_concurrency_test.cc). Each
// backend is a name and a way to open a store at a location the test owns: a fresh location per
// test, and the same location for several processes when a test forks. A backend that cannot run
// here (no server) says why, and its tests are skipped with that message.
//
// SqliteStateStores() and PostgresStateStores() are the StateStore backends (the RequestStore's
// are in request_store_contract_test.cc, their only user). The PostgreSQL helpers are the one way
// the store's tests reach the test binary's server (tests/support/postgres.h): TestPostgres() in a
// fixture's SetUp, PostgresLocation() for a backend's fresh location, PostgresSettings() to open
// it.
//
// Thread-safety: the backends keep no state: their functions may be called from any thread, and
// in children forked by a test.
//
// Example:
//   class StateStoreContract : public BackendTest<resilience::StateStore> { ... };
//   INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract,
//                            ::testing::Values(SqliteStateStores(std::chrono::seconds(5))));
//
//   std::string why;
//   pg_ = TestPostgres(why);
//   if (pg_ == nullptr) GTEST_SKIP() << why;
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "ohfp/resilience/state_store.h"
#include "postgres.h"
#include "store/database.h"
#include "store/pg_pool.h"
#include "store/pg_state_store.h"
#include "store/request_store.h"
#include "store/sqlite_state_store.h"
#include "subprocess.h"

namespace ohfp::store::testing {

template <class Store>
struct StoreBackend {
  std::string name;
  // A new, empty location for one test (a file path, a database URL, ...), or nullopt with
  // `why_not` set when the backend cannot run here.
  std::function<std::optional<std::string>(const std::string& temp_dir, std::string& why_not)>
      make_location;
  // Opens (creating the schema of) the store at `location`.
  std::function<resilience::Result<std::unique_ptr<Store>>(const std::string& location)> open;
  // Runs SQL of the backend's dialect on the store at `location` behind the store's back (to
  // plant what a test needs); false, with the reason in `why`, when it fails. Optional.
  std::function<bool(const std::string& location, const std::string& sql, std::string& why)>
      execute{};
  // What the store's error messages name the location by (a file's path, a server's URL).
  std::function<std::string(const std::string& location)> named_in_errors{};

  friend void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }
};

using RequestStoreBackend = StoreBackend<RequestStore>;
using StateStoreBackend = StoreBackend<resilience::StateStore>;

// A contract suite's fixture: SetUp() gives each test a fresh location of the backend it runs
// against, or skips it with the backend's reason.
template <class Store>
class BackendTest : public ::testing::TestWithParam<StoreBackend<Store>> {
 protected:
  void SetUp() override {
    const StoreBackend<Store>& backend = this->GetParam();
    std::string why_not;
    std::optional<std::string> location = backend.make_location(dir_.path(), why_not);
    if (!location) GTEST_SKIP() << backend.name << ": " << why_not;
    location_ = *location;
  }

  ohfp::testing::TempDir dir_;
  std::string location_;
};

// The test binary's PostgreSQL server, or nullptr with the reason in `why`: then the calling test
// has failed already, unless OHFP_TEST_POSTGRES=skip asks to skip such tests (the caller skips).
inline ohfp::testing::PostgresServer* TestPostgres(std::string& why) {
  ohfp::testing::PostgresServer* pg = ohfp::testing::SharedPostgres(&why);
  if (pg == nullptr && !ohfp::testing::PostgresSkipAllowed()) ADD_FAILURE() << why;
  return pg;
}

// A test on the test binary's PostgreSQL server (`pg_`); skipped without one (and then failed
// already, unless skipping is allowed: TestPostgres). A fixture with more to set up calls
// PostgresTest::SetUp() first and returns when IsSkipped().
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    pg_ = TestPostgres(why);
    if (pg_ == nullptr) GTEST_SKIP() << why;
  }

  ohfp::testing::PostgresServer* pg_ = nullptr;
};

// A fresh location on the test binary's server: its URL and a schema of the test's own, as
// "<url>#<schema>"; nullopt as TestPostgres().
inline std::optional<std::string> PostgresLocation(std::string& why_not) {
  ohfp::testing::PostgresServer* pg = TestPostgres(why_not);
  if (pg == nullptr) return std::nullopt;
  return pg->Url() + "#" + pg->NewSchema();
}

// The settings that open a PostgresLocation().
inline PgSettings PostgresSettings(const std::string& location,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const std::size_t hash = location.rfind('#');
  return {.url = location.substr(0, hash), .schema = location.substr(hash + 1), .timeout = timeout};
}

// The resilience StateStore in a SQLite file of the test's own; `busy_timeout` bounds each wait for
// the file's write lock.
inline StateStoreBackend SqliteStateStores(std::chrono::milliseconds busy_timeout) {
  return {.name = "sqlite",
          .make_location = [](const std::string& dir, std::string&) -> std::optional<std::string> {
            return dir + "/hf/work/ohfp.db";
          },
          .open = [busy_timeout](const std::string& file)
              -> resilience::Result<std::unique_ptr<resilience::StateStore>> {
            auto s = SqliteStateStore::Open(file, {.busy_timeout = busy_timeout});
            if (!s.ok()) return s.error();
            return std::unique_ptr<resilience::StateStore>(std::move(*s));
          },
          .execute =
              [](const std::string& file, const std::string& sql, std::string& why) {
                resilience::Result<Database> db = Database::Open(file);
                resilience::Status s = db.ok() ? db->Execute(sql) : resilience::Status(db.error());
                if (!s.ok()) why = s.error().ToString();
                return s.ok();
              },
          .named_in_errors = [](const std::string& file) { return file; }};
}

// The resilience StateStore in a schema of the test's own on the test binary's server; `timeout`
// bounds each call (store.timeout_ms).
inline StateStoreBackend PostgresStateStores(std::chrono::milliseconds timeout) {
  return {.name = "postgres",
          .make_location = [](const std::string&,
                              std::string& why_not) { return PostgresLocation(why_not); },
          .open = [timeout](const std::string& location)
              -> resilience::Result<std::unique_ptr<resilience::StateStore>> {
            static const resilience::SystemClock clock;
            const PgSettings settings = PostgresSettings(location, timeout);
            auto pool = PgPool::Open(settings, clock);
            if (!pool.ok()) return pool.error();
            auto s = PgStateStore::Open(std::move(*pool), settings.schema);
            if (!s.ok()) return s.error();
            return std::unique_ptr<resilience::StateStore>(std::move(*s));
          },
          .execute =
              [](const std::string& location, const std::string& sql, std::string& why) {
                ohfp::testing::PostgresServer* pg = TestPostgres(why);
                return pg != nullptr && pg->Sql("SET search_path TO " +
                                                    PostgresSettings(location).schema + "; " + sql,
                                                &why);
              },
          .named_in_errors =
              [](const std::string& location) { return PostgresSettings(location).url; }};
}

}  // namespace ohfp::store::testing
