// tests/e2e/shared_store.h
//
// The end-to-end tests of a store shared by several hosts (store.url on PostgreSQL): each "host"
// is a PluginInstall of its own (conf/, work/, logs/), all pointed at one schema of the test
// binary's PostgreSQL server (tests/support/postgres.h) and at one moto behind the chaos proxy.
//
//  - SharedStore: the schema; Config() adds it to a configuration; Rows() reads the store the way
//    an operator would (psql), "{s}" in the SQL standing for the schema.
//  - Settled(), ReconcileUntilSettled(): no request running in the store, and every live instance
//    (and fleet, group, launch template) of ours belongs to a request HostFactory knows.
//  - ExpectNoDuplicates(): no request has more instances than it asked for; each ClientToken
//    launched one reservation at most, and only the tokens of the request's attempts.
//  - SharedStoreSuite<Suite>: an E2eSuite whose every test has a SharedStore of its own (store_);
//    without a PostgreSQL server the test is skipped when PostgresSkipAllowed(), else it fails.
//
// Thread-safety: Rows() may run on any thread (a psql process each).
//
// Example:
//   SharedStore store = SharedStore::Create(&why);
//   PluginInstall a(world->endpoint(), templates, store.Config(ConfigWith(...)));
//   EXPECT_THAT(store.Rows("SELECT id FROM {s}.requests WHERE state = 'running'"), IsEmpty());
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "e2e_suite.h"
#include "e2e_world.h"
#include "postgres.h"

namespace ohfp::testing {

class SharedStore {
 public:
  // A new schema on the binary's server; nullopt (and `why`) without a server.
  static std::optional<SharedStore> Create(std::string* why);

  const std::string& schema() const { return schema_; }
  const std::string& url() const { return url_; }
  PostgresServer& server() const { return *pg_; }
  // `config` with store.url and store.schema set to this store.
  nlohmann::json Config(nlohmann::json config) const;
  // Rows of `sql`, "{s}" replaced by the schema; a test failure when the query fails.
  std::vector<Row> Rows(const std::string& sql) const;

 private:
  SharedStore(PostgresServer* pg, std::string schema)
      : pg_(pg), schema_(std::move(schema)), url_(pg->Url()) {}
  PostgresServer* pg_;
  std::string schema_;
  std::string url_;
};

// True when the store holds no running request and every live resource tagged for this provider
// belongs to a request in `known`; otherwise false with what is wrong in `why`.
bool Settled(const E2eWorld& world, const SharedStore& store, const std::set<std::string>& known,
             std::string* why);
// `ohfp reconcile` on `install` every 250 ms until Settled() (a test failure after 40 times).
void ReconcileUntilSettled(const E2eWorld& world, const SharedStore& store,
                           const PluginInstall& install, const std::set<std::string>& known);
// See the header comment. `api` is the providerApi (RunInstances checks ClientTokens).
void ExpectNoDuplicates(const E2eWorld& world, const SharedStore& store, const std::string& api);

template <class Suite>
class SharedStoreSuite : public E2eSuite<Suite> {
 protected:
  void AfterReset() override {
    std::string why;
    store_ = SharedStore::Create(&why);
    if (!store_) {
      if (PostgresSkipAllowed()) GTEST_SKIP() << why;
      FAIL() << why;
    }
  }

  std::optional<SharedStore> store_;
};

}  // namespace ohfp::testing
