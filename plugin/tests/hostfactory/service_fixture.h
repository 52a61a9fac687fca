// ServiceTest: a HostFactoryService over a SQLite store in a temporary directory and a FakeCloud,
// on a manual clock, with helpers to request machines and read a request's status as HostFactory
// would. Shared by the service's test files.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "fake_cloud.h"
#include "hostfactory/service.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/random.h"
#include "store/sqlite_request_store.h"
#include "subprocess.h"

namespace ohfp::hostfactory::testing {

using model::Template;
using model::TemplateSet;
using std::chrono::seconds;

inline Template MakeTemplate(std::string id, int max_number,
                             std::vector<std::string> subnets = {}) {
  Template t;
  t.template_id = std::move(id);
  t.max_number = max_number;
  t.image_id = "ami-12345678";
  t.vm_type = "c5.large";
  t.subnet_ids = std::move(subnets);
  t.attributes = {{"type", "String", "X86_64"}};
  return t;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    templates_.templates = {MakeTemplate("OnDemand-C5", 10),
                            MakeTemplate("Zones", -1, {"subnet-a", "subnet-b"})};
    store_ = std::move(*store::SqliteRequestStore::Open(dir_.path() + "/state.db"));
    log_ = logging::AppLog::Null();
    service_ = MakeService(self_);
  }
  std::unique_ptr<HostFactoryService> MakeService(model::ProcessIdentity self,
                                                  std::string installation = "inst-a",
                                                  ServiceOptions options = Options()) {
    return std::make_unique<HostFactoryService>(Dependencies(self, std::move(installation)),
                                                std::move(options));
  }
  // What a service of process `self` of `installation` works with: this fixture's store, cloud,
  // templates, clock and randomness; a process is alive while its start is in alive_.
  ServiceDependencies Dependencies(model::ProcessIdentity self,
                                   std::string installation = "inst-a") {
    return {.store = *store_,
            .provider = cloud_,
            .templates = templates_,
            .clock = clock_,
            .random = random_,
            .log = *log_,
            .installation_id = std::move(installation),
            .self = self,
            .is_alive = [this](const model::ProcessIdentity& who) {
              return alive_.count(who.start) > 0;
            }};
  }
  // A new process, once every process so far has died and the unclaimed-request timeout (600 s)
  // has passed: the one that finds the requests nobody will ever claim.
  std::unique_ptr<HostFactoryService> LaterProcess() {
    alive_.clear();
    clock_.Advance(seconds(601));
    return MakeService({3, "later"});
  }
  static ServiceOptions Options() {
    ServiceOptions o;
    o.acquire = {.pending_timeout = seconds(180),
                 .fulfillment_timeout = seconds(600),
                 .visibility_grace = seconds(300),
                 .confirmation_window = seconds(600)};
    o.housekeeping_interval = seconds(60);
    o.orphan_min_age = seconds(900);
    return o;
  }
  std::string Request(int count, const std::string& tmpl = "OnDemand-C5") {
    CommandResult r = service_->RequestMachines({tmpl, count});
    EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
    return r.output.value("requestId", "");
  }
  nlohmann::ordered_json Status(const std::string& id) {
    CommandResult r = service_->GetRequestStatus({id});
    EXPECT_EQ(r.exit_code, kExitOk) << r.output.dump();
    return r.output["requests"][0];
  }
  // Polls request `id` once while every `write` ("UPDATE ON return_machines") fails, as when the
  // database goes away under the poll: the poll must fail and leave the request running. Then
  // polls it again from a process of its own (a new service) and returns what that one answers.
  nlohmann::ordered_json PollThroughALostWrite(const std::string& id, const std::string& write) {
    EXPECT_TRUE(store_->database()
                    .Execute("CREATE TRIGGER lost BEFORE " + write +
                             " BEGIN SELECT RAISE(ABORT, 'the database went away'); END")
                    .ok());
    const CommandResult failed = service_->GetRequestStatus({id});
    EXPECT_NE(failed.exit_code, kExitOk) << failed.output.dump();
    EXPECT_EQ((*store_->GetRequest(id))->state, model::RequestState::kRunning)
        << "decided from machine rows that were not saved";
    EXPECT_TRUE(store_->database().Execute("DROP TRIGGER lost").ok());
    service_ = MakeService({2, "next"});
    return Status(id);
  }
  int RequestsInStore() {
    auto q = store_->database().Prepare("SELECT COUNT(*) FROM requests");
    (void)q->Step();
    return static_cast<int>(q->Column<std::int64_t>(0));
  }

  ohfp::testing::TempDir dir_;
  resilience::ManualClock clock_;
  resilience::SeededRandom random_{7};
  FakeCloud cloud_;
  TemplateSet templates_;
  std::unique_ptr<store::SqliteRequestStore> store_;
  std::unique_ptr<logging::AppLog> log_;
  model::ProcessIdentity self_{1, "me"};
  std::set<std::string> alive_{"me"};
  std::unique_ptr<HostFactoryService> service_;
};

}  // namespace ohfp::hostfactory::testing
