#include "shared_store.h"

#include <gmock/gmock.h>

#include <map>
#include <thread>

namespace ohfp::testing {
namespace {

using ::testing::SizeIs;

std::string WithSchema(std::string sql, const std::string& schema) {
  for (std::size_t at = sql.find("{s}"); at != std::string::npos; at = sql.find("{s}", at)) {
    sql.replace(at, 3, schema);
  }
  return sql;
}

}  // namespace

std::optional<SharedStore> SharedStore::Create(std::string* why) {
  PostgresServer* pg = SharedPostgres(why);
  if (pg == nullptr) return std::nullopt;
  return SharedStore(pg, pg->NewSchema());
}

nlohmann::json SharedStore::Config(nlohmann::json config) const {
  config["store"]["url"] = url_;
  config["store"]["schema"] = schema_;
  return config;
}

std::vector<Row> SharedStore::Rows(const std::string& sql) const {
  std::string why;
  const std::string text = WithSchema(sql, schema_);
  std::vector<Row> rows = pg_->Rows(text, &why);
  EXPECT_TRUE(why.empty()) << text << ": " << why;
  return rows;
}

bool Settled(const E2eWorld& world, const SharedStore& store, const std::set<std::string>& known,
             std::string* why) {
  std::string problems;
  for (const Row& r : store.Rows("SELECT id FROM {s}.requests WHERE state = 'running'")) {
    problems += "running in the store: " + r.at("id") + "\n";
  }
  for (const MotoInstance& i : LiveInstances(TaggedFor(world.Instances()))) {
    if (known.count(i.Tag(kTagRequestId)) == 0) problems += "orphan: " + Describe({i});
  }
  for (const MotoResource& r : world.Resources()) {
    const bool ours = r.kind != MotoResource::Kind::kLaunchTemplate || !r.request_id.empty();
    if (ours && r.live && known.count(r.request_id) == 0) {
      problems += "orphan: " + r.ToString() + "\n";
    }
  }
  *why = problems;
  return problems.empty();
}

void ReconcileUntilSettled(const E2eWorld& world, const SharedStore& store,
                           const PluginInstall& install, const std::set<std::string>& known) {
  std::string why;
  for (int i = 0; i < 40; ++i) {
    const CommandOutput r = install.Ohfp({"reconcile"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    if (Settled(world, store, known, &why)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // What the store says of the orphans' requests, for a failure to be read from CI's output.
  std::set<std::string> requests;
  for (const MotoInstance& i : LiveInstances(TaggedFor(world.Instances()))) {
    if (known.count(i.Tag(kTagRequestId)) == 0) requests.insert(i.Tag(kTagRequestId));
  }
  for (const std::string& id : requests) {
    for (const Row& r : store.Rows("SELECT * FROM {s}.requests WHERE id = '" + id + "'")) {
      why += "the store's " + id + ":";
      for (const auto& [k, v] : r) why += " " + k + "=" + v;
      why += "\n";
    }
  }
  FAIL() << "not settled after 40 reconciles:\n" << why;
}

void ExpectNoDuplicates(const E2eWorld& world, const SharedStore& store, const std::string& api) {
  std::map<std::string, std::vector<MotoInstance>> by_request;
  for (const MotoInstance& i : TaggedFor(world.Instances())) {
    by_request[i.Tag(kTagRequestId)].push_back(i);
  }
  for (const auto& [request, instances] : by_request) {
    const std::vector<Row> row =
        store.Rows("SELECT machine_count FROM {s}.requests WHERE id = '" + request + "'");
    ASSERT_THAT(row, SizeIs(1)) << "instances of a request the store does not know:\n"
                                << Describe(instances);
    EXPECT_LE(instances.size(), std::stoul(row[0].at("machine_count")))
        << "request " << request << " launched more than it asked for:\n"
        << Describe(instances);
    if (api != "RunInstances") continue;
    std::map<std::string, std::set<std::string>> reservations;
    for (const MotoInstance& i : instances) reservations[i.client_token].insert(i.reservation_id);
    std::set<std::string> tokens;
    for (const Row& a :
         store.Rows("SELECT client_token FROM {s}.attempts WHERE request_id = '" + request + "'")) {
      tokens.insert(a.at("client_token"));
    }
    for (const auto& [token, ids] : reservations) {
      EXPECT_THAT(ids, SizeIs(1)) << "ClientToken " << token << " launched twice:\n"
                                  << Describe(instances);
      EXPECT_EQ(tokens.count(token), 1U) << "a launch with a token of no attempt: " << token;
    }
  }
}

}  // namespace ohfp::testing
