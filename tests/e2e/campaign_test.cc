// Several hosts, several processes each, one PostgreSQL store, one moto: HostFactory's whole cycle
// (request, poll, return, poll) run by every process at once, on a template whose maxNumber is far
// below what they ask for together.
//
//  - Across a database restart: the server is restarted (fast shutdown) half-way; the commands
//    that meet it fail with one JSON message, HostFactory asks again, and the run carries on.
//    maxNumber is never exceeded (the store's count of held machines, sampled all along, never
//    goes over), and afterwards the store and the emulator agree: every request finished, nothing
//    live, no request with more instances than it asked for.
//  - Under kill -9: commands are killed at random moments (seeded); HostFactory reacts as it would
//    (a request it got no answer to is never polled, a return is asked again, a poll is repeated);
//    `ohfp reconcile` settles the rest. No duplicate, no orphan, no lost request.
//
// CI runs a short form (3 hosts x 8 processes x 1 cycle, and 3 x 4 x 2 under kill -9);
// bench/pg-campaign.sh runs it long through OHFP_CAMPAIGN_HOSTS, _PROCESSES, _CYCLES, _SEED, and
// collects the figures OHFP_CAMPAIGN_REPORT (a JSON file) receives for docs/benchmarks.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "shared_store.h"

namespace ohfp::testing {
namespace {

using hf_simulator::CallResult;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr int kMaxNumber = 10;
constexpr milliseconds kPoll(200);
constexpr std::chrono::seconds kPatience(90);  // one request's acquire or return, retries included

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

struct Campaign {
  int hosts = 3;
  int processes = 8;
  int cycles = 1;
  double kill_probability = 0;  // of each command
  std::uint32_t seed = 1;
};

// What the processes saw, shared by their threads.
struct Tally {
  std::mutex mu;
  std::set<std::string> acquires;  // ids HostFactory received
  std::set<std::string> returns;
  std::map<std::string, std::string> last_status;  // id -> its last status HostFactory saw
  std::map<std::string, std::string> last_reply;   // id -> the last answer to a poll of it
  std::vector<std::string> problems;
  std::atomic<int> commands{0}, failed{0}, killed{0}, refused{0}, cycles_done{0};

  void Learn(std::set<std::string>& set, const std::string& id) {
    std::lock_guard lock(mu);
    set.insert(id);
  }
  void Problem(const std::string& p) {
    std::lock_guard lock(mu);
    problems.push_back(p);
  }
};

// One HostFactory "process slot" on one host: its own simulator, its cycles one after another.
class Worker {
 public:
  Worker(const PluginInstall& host, const Campaign& c, int index, Tally& tally)
      : sim_(SimulatorFor(host)),
        c_(c),
        index_(index),
        tally_(tally),
        random_(c.seed + static_cast<std::uint32_t>(index)) {}

  void Run() {
    for (int cycle = 0; cycle < c_.cycles; ++cycle) {
      const int count = 1 + (index_ + cycle) % 2;
      std::optional<std::string> id = Acquire(count);
      if (!id) return tally_.Problem("worker " + std::to_string(index_) + ": never admitted");
      std::optional<nlohmann::json> done = Await(*id);
      if (!done) return tally_.Problem("acquire " + *id + " never finished; " + LastReply(*id));
      std::vector<hf_simulator::MachineRef> held;
      for (const auto& m : (*done)["machines"]) {
        if (m.value("result", "") == "succeed") held.push_back({m["name"], m["machineId"]});
      }
      if (!held.empty()) {
        std::optional<std::string> ret = Return(held);
        if (!ret) return tally_.Problem("the machines of " + *id + " were never taken back");
        std::optional<nlohmann::json> back = Await(*ret);
        if (!back) return tally_.Problem("return " + *ret + " never finished; " + LastReply(*ret));
      }
      ++tally_.cycles_done;
    }
  }
  const std::vector<hf_simulator::Violation>& violations() const { return sim_.violations(); }

 private:
  // A kill at a random moment, with the campaign's probability.
  hf_simulator::CallOptions MaybeKill() {
    hf_simulator::CallOptions o;
    if (std::uniform_real_distribution<double>(0, 1)(random_) < c_.kill_probability) {
      o.kill_after = milliseconds(std::uniform_int_distribution<int>(0, 700)(random_));
    }
    return o;
  }
  void Count(const CallResult& r) {
    ++tally_.commands;
    if (r.killed) {
      ++tally_.killed;
    } else if (r.exit_code != 0) {
      ++tally_.failed;
    }
  }
  std::string LastReply(const std::string& id) {
    std::lock_guard lock(tally_.mu);
    auto it = tally_.last_reply.find(id);
    return it == tally_.last_reply.end() ? "never polled" : "the last poll: " + it->second;
  }
  void Pause(int from_ms, int to_ms) {
    std::this_thread::sleep_for(
        milliseconds(std::uniform_int_distribution<int>(from_ms, to_ms)(random_)));
  }

  std::optional<std::string> Acquire(int count) {
    for (const auto until = Clock::now() + kPatience; Clock::now() < until;) {
      const CallResult r = sim_.RequestMachines("Limited", count, MaybeKill());
      Count(r);
      if (r.exit_code == 0 && r.json_ok) {
        const std::string id = r.json["requestId"];
        tally_.Learn(tally_.acquires, id);
        return id;
      }
      // Killed: HostFactory never learned the id and asks anew later. Refused for capacity
      // (exit 2) or failed (the database is restarting): later too.
      if (r.exit_code == 2) ++tally_.refused;
      Pause(100, 400);
    }
    return std::nullopt;
  }

  std::optional<nlohmann::json> Await(const std::string& id) {
    for (const auto until = Clock::now() + kPatience; Clock::now() < until; Pause(150, 250)) {
      const CallResult r = sim_.GetRequestStatus({id}, MaybeKill());
      Count(r);
      {
        std::lock_guard lock(tally_.mu);
        tally_.last_reply[id] = "exit " + std::to_string(r.exit_code) + ": " +
                                r.out.substr(0, 600) + r.err.substr(0, 300);
      }
      if (r.exit_code != 0 || !r.json_ok || r.json["requests"].empty()) continue;
      const nlohmann::json entry = r.json["requests"][0];
      const std::string status = entry.value("status", "");
      {
        std::lock_guard lock(tally_.mu);
        tally_.last_status[id] = status;
      }
      if (status == "complete" || status == "complete_with_error") return entry;
    }
    return std::nullopt;
  }

  std::optional<std::string> Return(const std::vector<hf_simulator::MachineRef>& held) {
    for (const auto until = Clock::now() + kPatience; Clock::now() < until; Pause(100, 300)) {
      const CallResult r = sim_.RequestReturnMachines(held, MaybeKill());
      Count(r);
      if (r.exit_code == 0 && r.json_ok) {  // else HostFactory got no answer and asks again
        const std::string id = r.json["requestId"];
        tally_.Learn(tally_.returns, id);
        return id;
      }
    }
    return std::nullopt;
  }

  hf_simulator::Simulator sim_;
  const Campaign& c_;
  int index_;
  Tally& tally_;
  std::mt19937 random_;
};

nlohmann::json LimitedTemplates() {
  nlohmann::json t = RunInstancesCase().templates;
  for (nlohmann::json& x : t["templates"]) {
    if (x["templateId"] == "Limited") x["maxNumber"] = kMaxNumber;
  }
  return t;
}

class CampaignTest : public SharedStoreSuite<CampaignTest> {
 protected:
  // The store's own count of what "Limited" holds (what maxNumber is checked against); -1 when
  // the server does not answer (restarting).
  int Held() const {
    std::string why;
    const std::vector<Row> rows = store_->server().Rows(
        "SELECT (SELECT COALESCE(SUM(machine_count), 0) FROM " + store_->schema() +
            ".requests WHERE kind = 'acquire' AND state = 'running' AND template_id = 'Limited') "
            "+ (SELECT COUNT(*) FROM " +
            store_->schema() + ".machines m JOIN " + store_->schema() +
            ".requests r ON r.id = m.request_id WHERE m.template_id = "
            "'Limited' AND r.state <> 'running' AND m.result <> 'fail' AND m.state NOT IN "
            "('terminated', 'shutting-down') AND NOT EXISTS (SELECT 1 FROM " +
            store_->schema() + ".return_machines x WHERE x.instance_id = m.instance_id)) AS held",
        &why);
    return rows.empty() ? -1 : std::stoi(rows[0].at("held"));
  }

  // Afterwards: HostFactory holds nothing, so everything settles and nothing stays alive; the store
  // records no live machine; every id HostFactory received is in the store, as it last saw it.
  void ExpectAgreement(const PluginInstall& host, Tally& tally) {
    ReconcileUntilSettled(*world_, *store_, host, {});
    ExpectNoDuplicates(*world_, *store_, "RunInstances");
    EXPECT_EQ(world_->Leftovers(), "");
    for (const Row& m : store_->Rows(
             "SELECT m.instance_id, m.request_id, m.state, m.result, r.state AS request_state, "
             "r.message, (SELECT string_agg(x.return_id || ':' || x.result || ':' || q.state, ' ') "
             "FROM {s}.return_machines x JOIN {s}.requests q ON q.id = x.return_id "
             "WHERE x.instance_id = m.instance_id) AS returns FROM {s}.machines m JOIN "
             "{s}.requests r ON r.id = m.request_id WHERE m.result <> 'fail' AND m.state NOT IN "
             "('terminated', 'shutting-down')")) {
      std::string text;
      for (const auto& [k, v] : m) text += k + "=" + v + " ";
      ADD_FAILURE() << "the store records a live machine the emulator does not have: " << text;
    }
    for (const auto& [id, status] : tally.last_status) {
      const std::vector<Row> row =
          store_->Rows("SELECT state FROM {s}.requests WHERE id = '" + id + "'");
      EXPECT_EQ(row.size(), 1U) << "lost: " << id;
      if (row.size() == 1) {
        EXPECT_EQ(row[0].at("state"), status) << id;
      }
    }
    for (const std::set<std::string>* ids : {&tally.acquires, &tally.returns}) {
      for (const std::string& id : *ids) EXPECT_EQ(tally.last_status.count(id), 1U) << id;
    }
  }

  // What the hosts' app.log say of the request ids `problems` name (the last lines of each), for a
  // failure to be read from CI's output: the installations' directories are gone afterwards.
  std::string LogLinesOf(const std::vector<std::string>& problems,
                         const std::vector<std::unique_ptr<PluginInstall>>& hosts) const {
    static const std::regex kId("(req|ret)-[0-9a-f-]{36}");
    std::set<std::string> ids;
    for (const std::string& p : problems) {
      for (std::sregex_iterator it(p.begin(), p.end(), kId), end; it != end; ++it) {
        ids.insert(it->str());
      }
    }
    std::string out;
    for (const std::string& id : ids) {
      std::vector<std::string> lines;
      for (const auto& host : hosts) {
        std::istringstream log(host->Log());
        for (std::string line; std::getline(log, line);) {
          if (line.find(id) != std::string::npos) lines.push_back(line.substr(0, 400));
        }
      }
      const std::size_t from = lines.size() > 30 ? lines.size() - 30 : 0;
      out += "app.log lines of " + id + " (" + std::to_string(lines.size()) + ", the last 30):\n";
      for (std::size_t i = from; i < lines.size(); ++i) out += "  " + lines[i] + "\n";
      out += "the store's row: " + RowsText("SELECT * FROM {s}.requests WHERE id = '" + id + "'");
      out += "its return machines: " +
             RowsText("SELECT * FROM {s}.return_machines WHERE return_id = '" + id + "'");
    }
    for (const MotoInstance& i : TaggedFor(world_->Instances())) {
      if (out.find(i.instance_id) != std::string::npos) {
        out += "in the emulator: " + i.instance_id + " " + i.state + "\n";
      }
    }
    return out;
  }

  std::string RowsText(const std::string& sql) const {
    std::string text;
    for (const Row& r : store_->Rows(sql)) {
      for (const auto& [k, v] : r) text += k + "=" + v + " ";
      text += "\n";
    }
    return text.empty() ? "none\n" : text;
  }

  // Runs the campaign; with `restart`, restarts the server once half the processes have had a
  // request admitted. Returns the figures.
  nlohmann::json Run(const Campaign& c, const nlohmann::json& config, bool restart) {
    std::vector<std::unique_ptr<PluginInstall>> hosts;
    for (int h = 0; h < c.hosts; ++h) {
      hosts.push_back(
          std::make_unique<PluginInstall>(world_->endpoint(), LimitedTemplates(), config));
    }
    Tally tally;
    std::atomic<bool> done{false};
    std::atomic<int> max_held{0};
    std::atomic<long long> restart_ms{-1};
    std::thread monitor([&] {
      bool restarted = !restart;
      while (!done) {
        max_held = std::max(max_held.load(), Held());
        std::size_t admitted = 0;
        {
          std::lock_guard lock(tally.mu);
          admitted = tally.acquires.size();
        }
        if (!restarted && static_cast<int>(admitted) >= c.hosts * c.processes / 2) {
          restarted = true;
          const auto t0 = Clock::now();
          std::string why;
          if (!store_->server().Restart(&why)) tally.Problem("restart failed: " + why);
          restart_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
        }
        std::this_thread::sleep_for(milliseconds(100));
      }
    });
    const auto started = Clock::now();
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < c.hosts * c.processes; ++i) {
      workers.push_back(
          std::make_unique<Worker>(*hosts[static_cast<std::size_t>(i % c.hosts)], c, i, tally));
    }
    {
      std::vector<std::jthread> threads;
      for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
    }
    const auto elapsed = Clock::now() - started;
    done = true;
    monitor.join();

    EXPECT_THAT(tally.problems, ::testing::IsEmpty()) << LogLinesOf(tally.problems, hosts);
    for (const auto& w : workers) EXPECT_THAT(w->violations(), ::testing::IsEmpty());
    EXPECT_LE(max_held.load(), kMaxNumber) << "maxNumber exceeded";
    if (restart) {
      EXPECT_GE(restart_ms.load(), 0) << "the server was never restarted";
    }
    ExpectAgreement(*hosts[0], tally);
    nlohmann::json figures = {{"hosts", c.hosts},
                              {"processes_per_host", c.processes},
                              {"cycles_per_process", c.cycles},
                              {"kill_probability", c.kill_probability},
                              {"seed", c.seed},
                              {"seconds", std::chrono::duration<double>(elapsed).count()},
                              {"commands", tally.commands.load()},
                              {"failed", tally.failed.load()},
                              {"killed", tally.killed.load()},
                              {"refused_for_capacity", tally.refused.load()},
                              {"acquire_requests", tally.acquires.size()},
                              {"return_requests", tally.returns.size()},
                              {"cycles_done", tally.cycles_done.load()},
                              {"max_held", max_held.load()},
                              {"max_number", kMaxNumber},
                              {"restart_ms", restart_ms.load()},
                              {"instances_launched", TaggedFor(world_->Instances()).size()}};
    std::cout << "  " << figures.dump() << "\n";
    if (const char* report = std::getenv("OHFP_CAMPAIGN_REPORT")) {
      std::ofstream(report, std::ios::app) << figures.dump() << "\n";
    }
    return figures;
  }
};

TEST_F(CampaignTest, HostsAgreeWithTheCloudAndMaxNumberHoldsAcrossADatabaseRestart) {
  const Campaign c{.hosts = EnvInt("OHFP_CAMPAIGN_HOSTS", 3),
                   .processes = EnvInt("OHFP_CAMPAIGN_PROCESSES", 8),
                   .cycles = EnvInt("OHFP_CAMPAIGN_CYCLES", 1),
                   .seed = static_cast<std::uint32_t>(EnvInt("OHFP_CAMPAIGN_SEED", 20261301))};
  const nlohmann::json figures = Run(c, store_->Config(FastTestConfig()), /*restart=*/true);
  EXPECT_EQ(figures["cycles_done"], c.hosts * c.processes * c.cycles);
  EXPECT_GT(figures["refused_for_capacity"], 0) << "maxNumber was never reached: no contention";
}

TEST_F(CampaignTest, KillNineLeavesNoDuplicateNoOrphanAndNoLostRequest) {
  const Campaign c{.hosts = EnvInt("OHFP_CAMPAIGN_HOSTS", 3),
                   .processes = EnvInt("OHFP_CAMPAIGN_KILL_PROCESSES", 4),
                   .cycles = EnvInt("OHFP_CAMPAIGN_KILL_CYCLES", 2),
                   .kill_probability = 0.25,
                   .seed = static_cast<std::uint32_t>(EnvInt("OHFP_CAMPAIGN_SEED", 20261301))};
  // A request HostFactory never learned of (its requestMachines was killed) is reclaimed 10 s on
  // (the command deadline: its creator on any host is done launching, and a call it had in flight
  // has been answered) by housekeeping or by a requestMachines that maxNumber refuses. 10 s, not
  // the minimum of 5: 24 processes on one emulator answer slowly on a loaded machine, and a command
  // its deadline cuts short refreshes nothing.
  const nlohmann::json figures =
      Run(c,
          store_->Config(
              ConfigWith({{"unclaimed_request_timeout_sec", 1}, {"command_timeout_sec", 10}})),
          false);
  EXPECT_GT(figures["killed"], 0) << "no command was killed";
}

}  // namespace
}  // namespace ohfp::testing
