// Issue 9, end to end: ohfp destroys or reports as lost only what it has positive evidence for.
// Real processes through the shims, against moto behind ohfp-chaos-proxy, for each of the paths
// that used to end with healthy machines terminated or reported as taken away:
//   1. another installation's machines (two installations, one provider name, one account);
//   2. a state store that cannot be read (its machines table's pages corrupted);
//   3. a lost or replaced store (a zero-byte file, a work directory moved away, another
//      installation's store);
//   4. an answer that is not what was asked for (another action's XML, an HTML login page);
//   5. an empty DescribeInstances answer right after a launch.
// Each ends the same way: every instance still running in moto, HostFactory told nothing false
// (no machine "fail", no request "complete_with_error", no machine listed by getReturnRequests),
// and the log saying what ohfp refused to do. FaultCampaign runs every fault against polling,
// returns listing and a sweep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

namespace fs = std::filesystem;
using hf_simulator::CallResult;
using hf_simulator::MachineRef;
using hf_simulator::Simulator;
using hf_simulator::WaitOutcome;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Sweeps as eager as they can be: any instance the sweep may terminate, it terminates at once.
nlohmann::json EagerSweeps() {
  return ConfigWith({{"orphan_min_age_sec", 0},
                     {"instance_visibility_grace_sec", 0},
                     {"unclaimed_request_timeout_sec", 1},
                     {"command_timeout_sec", 5}});
}

constexpr const char* kWrongAction =
    R"(<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>{{request_id}}</requestId><tagSet/></DescribeTagsResponse>)";
constexpr const char* kLoginPage =
    R"(<html><head><title>Sign in</title></head><body><form action="/login">Corporate proxy: please sign in</form></body></html>)";
constexpr const char* kEmptyListing =
    R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>{{request_id}}</requestId><reservationSet/></DescribeInstancesResponse>)";

// Every DescribeInstances answered by the proxy with `body` (200), never reaching moto.
std::string DescribeAnswers(const std::string& body, const std::string& content_type) {
  nlohmann::json rules = {{"rules",
                           {{{"name", "describe-lies"},
                             {"match", {{"action", "DescribeInstances"}}},
                             {"fault",
                              {{"type", "respond"},
                               {"status", 200},
                               {"body", body},
                               {"content_type", content_type}}}}}}};
  return rules.dump();
}

// Moves everything from the database's write-ahead log into the file itself.
void Checkpoint(const std::string& db_path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

// Overwrites the first page of `table`'s B-tree in the database file with garbage, after moving
// everything from the write-ahead log into the file: reads of that table then fail with
// "database disk image is malformed", the other tables still read.
void CorruptTable(const std::string& db_path, const std::string& table) {
  Checkpoint(db_path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE name = ?", -1, &q, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(q, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  const std::int64_t root = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  const std::int64_t page_size = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  std::fstream f(db_path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  f.seekp((root - 1) * page_size);
  const std::string garbage(static_cast<std::size_t>(page_size), '\x5a');
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

class EvidenceTest : public E2eSuite<EvidenceTest, 9> {
 protected:
  struct Borrowed {
    std::string request_id;
    std::vector<MachineRef> machines;
  };
  // `count` machines of "OnDemand", polled until complete.
  static Borrowed Borrow(Simulator& sim, int count) {
    Borrowed b;
    const CallResult r = sim.RequestMachines("OnDemand", count);
    EXPECT_TRUE(r.ok()) << r.Describe();
    b.request_id = r.json.value("requestId", "");
    const WaitOutcome w = sim.WaitFor(
        {b.request_id}, {.poll_interval = milliseconds(100), .timeout = std::chrono::seconds(60)});
    EXPECT_THAT(w.unfinished, IsEmpty());
    const nlohmann::json& last = w.last.at(b.request_id);
    EXPECT_EQ(last.value("status", ""), "complete") << last.dump();
    for (const auto& m : last["machines"]) b.machines.push_back({m["name"], m["machineId"]});
    EXPECT_THAT(b.machines, SizeIs(count));
    return b;
  }
  static std::set<std::string> IdsOf(const std::vector<MachineRef>& machines) {
    std::set<std::string> ids;
    for (const MachineRef& m : machines) ids.insert(m.machine_id);
    return ids;
  }
  // Every one of `ids` is still pending or running in moto.
  static void ExpectLive(const std::set<std::string>& ids) {
    std::set<std::string> live;
    for (const MotoInstance& i : world_->Instances()) {
      if (i.Live()) live.insert(i.instance_id);
    }
    for (const std::string& id : ids) EXPECT_EQ(live.count(id), 1U) << id << " was terminated";
  }
  // Nothing false in a getRequestStatus answer about machines that are healthy: no request
  // complete_with_error, no machine failed. (A failed command says nothing at all.)
  static void ExpectNothingFalse(const CallResult& status) {
    if (status.exit_code != 0 || !status.json_ok) return;
    for (const auto& r : status.json.value("requests", nlohmann::json::array())) {
      EXPECT_NE(r.value("status", ""), "complete_with_error") << status.Describe();
      for (const auto& m : r.value("machines", nlohmann::json::array())) {
        EXPECT_NE(m.value("result", ""), "fail") << status.Describe();
      }
    }
  }
  static void ExpectNoReturnNotices(const CallResult& returns) {
    if (returns.exit_code != 0 || !returns.json_ok) return;
    EXPECT_THAT(returns.json.value("requests", nlohmann::json::array()), IsEmpty())
        << returns.Describe();
  }
};

TEST_F(EvidenceTest, TwoInstallationsWithOneProviderNameNeverTouchEachOther) {
  PluginInstall a(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  PluginInstall b(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  b.SetEnv("HF_PROVIDER_CONFDIR", a.confdir());  // one configuration directory, two work dirs
  Simulator sim_a(SimulatorFor(a));
  Simulator sim_b(SimulatorFor(b));
  const Borrowed held_a = Borrow(sim_a, 2);
  // A is mid-launch while B works.
  const CallResult launching = sim_a.RequestMachines("OnDemand", 1);
  ASSERT_TRUE(launching.ok()) << launching.Describe();
  for (int round = 0; round < 2; ++round) {
    const Borrowed held_b = Borrow(sim_b, 1);
    const CommandOutput swept = b.Ohfp({"reconcile"});
    EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
    for (const auto& i : swept.json.value("instances", nlohmann::json::array())) {
      EXPECT_EQ(IdsOf(held_a.machines).count(i.value("instance", "")), 0U)
          << "B's sweep looked at A's instance: " << swept.out;
    }
    const CallResult returned = sim_b.RequestReturnMachines(held_b.machines);
    ASSERT_TRUE(returned.ok()) << returned.Describe();
    const CommandOutput a_swept = a.Ohfp({"reconcile"});
    EXPECT_EQ(a_swept.exit_code, 0) << a_swept.out << a_swept.err;
  }
  ExpectLive(IdsOf(held_a.machines));
  ExpectNothingFalse(sim_a.GetRequestStatus({held_a.request_id}));
  ExpectNoReturnNotices(sim_a.GetReturnRequests(held_a.machines));
}

TEST_F(EvidenceTest, AStoreThatCannotBeReadAnswersNothingAndTerminatesNothing) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const Borrowed held = Borrow(sim, 2);
  CorruptTable(install.state_db(), "machines");
  ASSERT_FALSE(HasFatalFailure());
  const CallResult status = sim.GetRequestStatus({held.request_id});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_THAT(status.json.value("message", ""), HasSubstr("cannot read the state store"));
  const CommandOutput swept = install.Ohfp({"reconcile"});
  EXPECT_NE(swept.exit_code, 0) << swept.out << swept.err;
  ExpectNoReturnNotices(sim.GetReturnRequests(held.machines));
  ExpectLive(IdsOf(held.machines));
  EXPECT_THAT(install.Log(), HasSubstr("orphan sweep skipped: cannot read the state store"));
}

TEST_F(EvidenceTest, AStoreCutShortAnswersNothingAndTerminatesNothing) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const Borrowed held = Borrow(sim, 2);
  // Everything into the main file, then the file cut to a third: a copy or a disk that stopped
  // half way.
  Checkpoint(install.state_db());
  ASSERT_FALSE(HasFatalFailure());
  for (const char* suffix : {"-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(install.state_db() + suffix, ec);
  }
  fs::resize_file(install.state_db(), fs::file_size(install.state_db()) / 3);
  const CallResult status = sim.GetRequestStatus({held.request_id});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  ExpectNothingFalse(status);
  EXPECT_NE(install.Ohfp({"reconcile"}).exit_code, 0);
  ExpectNoReturnNotices(sim.GetReturnRequests(held.machines));
  ExpectLive(IdsOf(held.machines));
}

TEST_F(EvidenceTest, AZeroByteStoreIsALostStoreNotAnEmptyOneAndAdoptionRecoversIt) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const Borrowed held = Borrow(sim, 2);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(install.state_db() + suffix, ec);
  }
  std::ofstream(install.state_db()).flush();  // zero bytes
  const CallResult status = sim.GetRequestStatus({held.request_id});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_THAT(status.json.value("message", ""), HasSubstr("reconcile --adopt"));
  EXPECT_EQ(sim.RequestMachines("OnDemand", 1).exit_code, 1) << "refused until recovered";
  ExpectLive(IdsOf(held.machines));
  EXPECT_THAT(install.Log(), HasSubstr("state store lost or replaced"));

  const CommandOutput adopted = install.Ohfp({"reconcile", "--adopt"});
  ASSERT_EQ(adopted.exit_code, 0) << adopted.out << adopted.err;
  EXPECT_THAT(adopted.json["adopted_requests"], ::testing::Contains(held.request_id));
  const CallResult after = sim.GetRequestStatus({held.request_id});
  ASSERT_TRUE(after.ok()) << after.Describe();
  EXPECT_EQ(after.json["requests"][0]["status"], "complete");
  EXPECT_THAT(after.json["requests"][0]["machines"], SizeIs(2));
  // And the cycle finishes as usual.
  const CallResult returned = sim.RequestReturnMachines(held.machines);
  ASSERT_TRUE(returned.ok()) << returned.Describe();
  const WaitOutcome done =
      sim.WaitFor({returned.json["requestId"]}, {.poll_interval = milliseconds(100)});
  EXPECT_THAT(done.unfinished, IsEmpty());
  EXPECT_EQ(world_->Leftovers(), "");
}

TEST_F(EvidenceTest, AWorkDirectoryMovedAwayRefusesForTheRequestsItHeld) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const Borrowed held = Borrow(sim, 2);
  fs::rename(install.workdir(), install.root() + "/work.moved");
  fs::create_directories(install.workdir());
  const CallResult status = sim.GetRequestStatus({held.request_id});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_THAT(status.json.value("message", ""), HasSubstr(held.request_id));
  EXPECT_THAT(status.json.value("message", ""), HasSubstr("does not know"));
  const CommandOutput swept = install.Ohfp({"reconcile"});
  EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
  ExpectLive(IdsOf(held.machines));
}

TEST_F(EvidenceTest, AnotherInstallationsStoreIsRefused) {
  PluginInstall a(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  PluginInstall b(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim_a(SimulatorFor(a));
  Simulator sim_b(SimulatorFor(b));
  const Borrowed held = Borrow(sim_a, 2);
  (void)Borrow(sim_b, 1);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::remove(a.state_db() + suffix, ec);
    fs::copy_file(b.state_db() + suffix, a.state_db() + suffix, ec);
  }
  const CallResult status = sim_a.GetRequestStatus({held.request_id});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_THAT(status.json.value("message", ""), HasSubstr("belongs to installation"));
  EXPECT_NE(a.Ohfp({"reconcile"}).exit_code, 0);
  ExpectLive(IdsOf(held.machines));
}

// Issue 10: an error answer to a create call means nothing was created, whatever its code: the
// request ends at once with AWS's code, after exactly one RunInstances.
TEST_F(EvidenceTest, ALaunchRefusedWithAnyErrorCodeEndsAtOnceAfterOneRunInstances) {
  nlohmann::json templates = RunInstancesCase().templates;
  for (auto& t : templates["templates"]) t["instanceProfile"] = "no-such-profile";
  PluginInstall install(world_->endpoint(), templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const CallResult r = sim.RequestMachines("OnDemand", 2);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.json.value("message", ""), HasSubstr("NoSuchEntity"));
  const std::string id = r.json.value("requestId", "");
  ASSERT_FALSE(id.empty()) << "the saved request's id comes with the failure";
  sim.Remember(id, hf_simulator::RequestKind::kAcquire);
  for (int poll = 0; poll < 2; ++poll) {
    const CallResult s = sim.GetRequestStatus({id});
    ASSERT_TRUE(s.ok()) << s.Describe();
    EXPECT_EQ(s.json["requests"][0]["status"], "complete_with_error");
    EXPECT_THAT(s.json["requests"][0].value("message", ""), HasSubstr("NoSuchEntity"));
  }
  EXPECT_EQ(world_->ProxyRequests("RunInstances"), 1);
  const CallResult t = sim.GetAvailableTemplates();
  for (const auto& tmpl : t.json["templates"]) {
    if (tmpl["templateId"] == "OnDemand") {
      EXPECT_EQ(tmpl["availableNumber"], tmpl["maxNumber"]);
    }
  }
}

struct BodyCase {
  const char* name;
  const char* body;
  const char* content_type;
};

class AnswersTest : public EvidenceTest, public ::testing::WithParamInterface<BodyCase> {};

TEST_P(AnswersTest, AnAnswerThatIsNotWhatWasAskedForIsNeverTakenForNoInstances) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, EagerSweeps());
  Simulator sim(SimulatorFor(install));
  const Borrowed held = Borrow(sim, 2);
  const CallResult launching = sim.RequestMachines("OnDemand", 2);
  ASSERT_TRUE(launching.ok()) << launching.Describe();
  const std::string fresh = launching.json["requestId"];
  world_->SetRules(DescribeAnswers(GetParam().body, GetParam().content_type));
  for (int poll = 0; poll < 3; ++poll) {
    ExpectNothingFalse(sim.GetRequestStatus({fresh, held.request_id}));
    ExpectNoReturnNotices(sim.GetReturnRequests(held.machines));
    (void)install.Ohfp({"reconcile"});
  }
  ExpectLive(IdsOf(held.machines));
  // When EC2 answers again, the new request completes with both of its machines.
  world_->SetRules(R"({"rules": []})");
  const WaitOutcome w = sim.WaitFor({fresh}, {.poll_interval = milliseconds(100)});
  ASSERT_THAT(w.unfinished, IsEmpty());
  EXPECT_EQ(w.last.at(fresh).value("status", ""), "complete") << w.last.at(fresh).dump();
  EXPECT_THAT(w.last.at(fresh)["machines"], SizeIs(2));
  EXPECT_GE(world_->ProxyRequests("DescribeInstances"), 3);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, AnswersTest,
    ::testing::Values(BodyCase{"AnotherActionsXml", kWrongAction, "text/xml;charset=UTF-8"},
                      BodyCase{"AProxysHtmlLoginPage", kLoginPage, "text/html"},
                      BodyCase{"AnEmptyListing", kEmptyListing, "text/xml;charset=UTF-8"}),
    [](const ::testing::TestParamInfo<BodyCase>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace ohfp::testing
