#include "e2e_world.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <pugixml.hpp>
#include <sstream>

namespace ohfp::testing {
namespace {

// application/x-www-form-urlencoded as AWS's SDKs write it: unreserved characters stay, a space
// is '+', every other byte %XX. moto checks a signature against the body re-created that way.
std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// One Query API call straight to moto (`service`: ec2, autoscaling, monitoring), signed with its
// current key. False, with `why`, when moto does not answer 200 with XML.
bool MotoCall(const MotoServer& moto, const std::string& service, const std::string& body,
              pugi::xml_document& doc, std::string* why) {
  const HttpAnswer r = moto.Call(service, body);
  if (r.status != 200) {
    if (why != nullptr) {
      *why = (r.status != 0 ? "moto answered " + std::to_string(r.status) + ": " + r.body
                            : std::string("moto does not answer")) +
             " (" + body.substr(0, body.find('&')) + ")";
    }
    return false;
  }
  if (!doc.load_string(r.body.c_str())) {
    if (why != nullptr) *why = "moto's answer is not XML: " + r.body.substr(0, 200);
    return false;
  }
  return true;
}

std::string Text(const pugi::xml_node& node, const char* child) {
  return node.child(child).text().as_string();
}

// The first element named `name` at any depth below `node`.
pugi::xml_node Find(const pugi::xml_node& node, const char* name) {
  return node.find_node(
      [name](const pugi::xml_node& n) { return std::strcmp(n.name(), name) == 0; });
}

// The ohfp:request-id of an EC2 <tagSet> (item/key, item/value).
std::string RequestTag(const pugi::xml_node& tag_set) {
  for (pugi::xml_node tag : tag_set.children("item")) {
    if (Text(tag, "key") == kTagRequestId) return Text(tag, "value");
  }
  return "";
}

}  // namespace

std::string MotoInstance::Tag(const std::string& key) const {
  auto it = tags.find(key);
  return it == tags.end() ? std::string() : it->second;
}

bool MotoTerminate(const MotoServer& moto, const std::vector<std::string>& instance_ids,
                   std::string* why) {
  std::string body = "Action=TerminateInstances&Version=2016-11-15";
  for (std::size_t i = 0; i < instance_ids.size(); ++i) {
    body += "&InstanceId." + std::to_string(i + 1) + "=" + instance_ids[i];
  }
  pugi::xml_document doc;
  return MotoCall(moto, "ec2", body, doc, why);
}

std::vector<MotoInstance> MotoInstances(const MotoServer& moto, std::string* why) {
  std::vector<MotoInstance> out;
  std::string next;
  for (int page = 0; page < 100; ++page) {
    std::string body = "Action=DescribeInstances&Version=2016-11-15&MaxResults=1000";
    if (!next.empty()) body += "&NextToken=" + UrlEncode(next);
    pugi::xml_document doc;
    if (!MotoCall(moto, "ec2", body, doc, why)) return {};
    const pugi::xml_node root = doc.child("DescribeInstancesResponse");
    for (pugi::xml_node reservation : root.child("reservationSet").children("item")) {
      const std::string reservation_id = Text(reservation, "reservationId");
      for (pugi::xml_node i : reservation.child("instancesSet").children("item")) {
        MotoInstance m;
        m.instance_id = Text(i, "instanceId");
        m.state = i.child("instanceState").child("name").text().as_string();
        m.reservation_id = reservation_id;
        m.client_token = Text(i, "clientToken");
        m.private_dns_name = Text(i, "privateDnsName");
        for (pugi::xml_node tag : i.child("tagSet").children("item")) {
          m.tags[Text(tag, "key")] = Text(tag, "value");
        }
        out.push_back(std::move(m));
      }
    }
    next = Text(root, "nextToken");
    if (next.empty()) break;
  }
  return out;
}

std::string MotoResource::KindName() const {
  switch (kind) {
    case Kind::kFleet:
      return "fleet";
    case Kind::kSpotFleet:
      return "Spot Fleet request";
    case Kind::kGroup:
      return "Auto Scaling group";
    case Kind::kLaunchTemplate:
      return "launch template";
  }
  return "?";
}

std::string MotoResource::ToString() const {
  std::string s = KindName() + " " + id;
  if (!name.empty()) s += " (" + name + ")";
  if (!state.empty()) s += " " + state;
  if (target >= 0) s += " target " + std::to_string(target);
  return s + " request " + (request_id.empty() ? "?" : request_id);
}

std::vector<MotoResource> MotoResources(const MotoServer& moto, std::string* why) {
  using Kind = MotoResource::Kind;
  std::vector<MotoResource> out;
  pugi::xml_document doc;
  if (!MotoCall(moto, "ec2", "Action=DescribeFleets&Version=2016-11-15", doc, why)) return {};
  for (pugi::xml_node f : Find(doc, "fleetSet").children("item")) {
    MotoResource r{.kind = Kind::kFleet, .id = Text(f, "fleetId"), .state = Text(f, "fleetState")};
    r.request_id = RequestTag(f.child("tagSet"));
    r.target =
        f.child("targetCapacitySpecification").child("totalTargetCapacity").text().as_int(-1);
    r.live = r.state != "deleted" && r.state != "deleted_running" &&
             r.state != "deleted_terminating" && r.state != "failed";
    out.push_back(std::move(r));
  }
  if (!MotoCall(moto, "ec2", "Action=DescribeSpotFleetRequests&Version=2016-11-15", doc, why)) {
    return {};
  }
  for (pugi::xml_node f : Find(doc, "spotFleetRequestConfigSet").children("item")) {
    MotoResource r{.kind = Kind::kSpotFleet,
                   .id = Text(f, "spotFleetRequestId"),
                   .state = Text(f, "spotFleetRequestState")};
    r.request_id = RequestTag(f.child("tagSet"));
    r.target = f.child("spotFleetRequestConfig").child("targetCapacity").text().as_int(-1);
    r.live = r.state == "submitted" || r.state == "active" || r.state == "modifying";
    out.push_back(std::move(r));
  }
  std::string next;
  for (int page = 0; page < 100; ++page) {
    std::string body = "Action=DescribeAutoScalingGroups&Version=2011-01-01";
    if (!next.empty()) body += "&NextToken=" + UrlEncode(next);
    if (!MotoCall(moto, "autoscaling", body, doc, why)) return {};
    for (pugi::xml_node g : Find(doc, "AutoScalingGroups").children("member")) {
      MotoResource r{.kind = Kind::kGroup, .id = Text(g, "AutoScalingGroupName")};
      for (pugi::xml_node tag : g.child("Tags").children("member")) {
        if (Text(tag, "Key") == kTagRequestId) r.request_id = Text(tag, "Value");
      }
      r.target = g.child("DesiredCapacity").text().as_int(-1);
      out.push_back(std::move(r));
    }
    next = Find(doc, "NextToken").text().as_string();
    if (next.empty()) break;
  }
  if (!MotoCall(moto, "ec2", "Action=DescribeLaunchTemplates&Version=2016-11-15", doc, why)) {
    return {};
  }
  for (pugi::xml_node t : Find(doc, "launchTemplates").children("item")) {
    MotoResource r{.kind = Kind::kLaunchTemplate,
                   .id = Text(t, "launchTemplateId"),
                   .name = Text(t, "launchTemplateName")};
    if (r.name.rfind("ohfp-", 0) == 0) r.request_id = r.name.substr(5);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// ISO 8601, UTC, whole seconds.
std::string IsoTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

std::vector<MotoMetric> MotoMetrics(const MotoServer& moto, const std::string& metric_namespace,
                                    std::string* why) {
  std::vector<MotoMetric> out;
  std::string next;
  for (int page = 0; page < 100; ++page) {
    std::string body =
        "Action=ListMetrics&Version=2010-08-01&Namespace=" + UrlEncode(metric_namespace);
    if (!next.empty()) body += "&NextToken=" + UrlEncode(next);
    pugi::xml_document doc;
    if (!MotoCall(moto, "monitoring", body, doc, why)) return {};
    for (pugi::xml_node m : Find(doc, "Metrics").children("member")) {
      MotoMetric metric{.name = Text(m, "MetricName")};
      for (pugi::xml_node d : m.child("Dimensions").children("member")) {
        metric.dimensions[Text(d, "Name")] = Text(d, "Value");
      }
      out.push_back(std::move(metric));
    }
    next = Find(doc, "NextToken").text().as_string();
    if (next.empty()) break;
  }
  return out;
}

double MotoMetricSum(const MotoServer& moto, const std::string& metric_namespace,
                     const std::string& metric,
                     const std::map<std::string, std::string>& dimensions, std::string* why) {
  const auto now = std::chrono::system_clock::now();
  std::string body =
      "Action=GetMetricStatistics&Version=2010-08-01&Namespace=" + UrlEncode(metric_namespace) +
      "&MetricName=" + UrlEncode(metric) +
      "&StartTime=" + UrlEncode(IsoTime(now - std::chrono::hours(1))) +
      "&EndTime=" + UrlEncode(IsoTime(now + std::chrono::minutes(5))) +
      "&Period=60&Statistics.member.1=Sum";
  int n = 0;
  for (const auto& [name, value] : dimensions) {
    const std::string key = "&Dimensions.member." + std::to_string(++n);
    body += key + ".Name=" + UrlEncode(name) + key + ".Value=" + UrlEncode(value);
  }
  pugi::xml_document doc;
  if (!MotoCall(moto, "monitoring", body, doc, why)) return -1;
  double sum = 0;
  for (pugi::xml_node p : Find(doc, "Datapoints").children("member")) {
    sum += p.child("Sum").text().as_double();
  }
  return sum;
}

std::vector<MotoVolume> MotoVolumes(const MotoServer& moto, std::string* why) {
  pugi::xml_document doc;
  if (!MotoCall(moto, "ec2", "Action=DescribeVolumes&Version=2016-11-15&MaxResults=500", doc,
                why)) {
    return {};
  }
  std::vector<MotoVolume> out;
  for (pugi::xml_node v :
       doc.child("DescribeVolumesResponse").child("volumeSet").children("item")) {
    MotoVolume m;
    m.volume_id = Text(v, "volumeId");
    m.size_gib = v.child("size").text().as_int();
    m.volume_type = Text(v, "volumeType");
    const pugi::xml_node attachment = v.child("attachmentSet").child("item");
    m.instance_id = Text(attachment, "instanceId");
    m.device = Text(attachment, "device");
    out.push_back(std::move(m));
  }
  return out;
}

std::string MotoRootDevice(const MotoServer& moto, const std::string& image_id, std::string* why) {
  pugi::xml_document doc;
  if (!MotoCall(moto, "ec2",
                "Action=DescribeImages&Version=2016-11-15&ImageId.1=" + UrlEncode(image_id), doc,
                why)) {
    return "";
  }
  return Text(doc.child("DescribeImagesResponse").child("imagesSet").child("item"),
              "rootDeviceName");
}

std::vector<std::string> MotoDefaultSubnets(const MotoServer& moto, std::string* why) {
  pugi::xml_document doc;
  if (!MotoCall(moto, "ec2",
                "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=default-for-az&"
                "Filter.1.Value.1=true",
                doc, why)) {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> by_zone;
  for (pugi::xml_node s : Find(doc, "subnetSet").children("item")) {
    by_zone.emplace_back(Text(s, "availabilityZone"), Text(s, "subnetId"));
  }
  std::sort(by_zone.begin(), by_zone.end());
  std::vector<std::string> out;
  for (auto& [zone, id] : by_zone) out.push_back(std::move(id));
  return out;
}

std::vector<MotoInstance> TaggedFor(const std::vector<MotoInstance>& all,
                                    const std::string& provider) {
  std::vector<MotoInstance> out;
  for (const MotoInstance& i : all) {
    if (i.Tag(kTagProvider) == provider) out.push_back(i);
  }
  return out;
}

std::vector<MotoInstance> LiveInstances(const std::vector<MotoInstance>& all) {
  std::vector<MotoInstance> out;
  for (const MotoInstance& i : all) {
    if (i.Live()) out.push_back(i);
  }
  return out;
}

std::string Describe(const std::vector<MotoInstance>& instances) {
  std::ostringstream s;
  for (const MotoInstance& i : instances) {
    s << i.instance_id << " " << i.state << " reservation " << i.reservation_id << " token "
      << i.client_token << " request " << i.Tag(kTagRequestId) << " provider "
      << i.Tag(kTagProvider) << "\n";
  }
  return s.str();
}

std::unique_ptr<E2eWorld> E2eWorld::Start(std::string* why, std::uint64_t seed) {
  std::unique_ptr<E2eWorld> world(new E2eWorld());
  world->moto_ = MotoServer::Start({}, why);
  if (!world->moto_) return nullptr;
  world->proxy_ = ChaosProxyProcess::Start({.upstream = world->moto_->url(), .seed = seed}, why);
  if (!world->proxy_) return nullptr;
  // moto loads its EC2 backend on the first call (2-3 s); pay that once, here.
  std::string problem;
  (void)MotoInstances(*world->moto_, &problem);
  if (!problem.empty()) {
    if (why != nullptr) *why = "moto's EC2 does not answer: " + problem;
    return nullptr;
  }
  return world;
}

bool E2eWorld::Reset() {
  workarounds_ = nlohmann::json::array();
  std::string why;
  const bool reset = moto_->Reset(&why);
  EXPECT_TRUE(reset) << why;
  return reset && proxy_->SetRules(R"({"rules": []})") && proxy_->Reset();
}

void E2eWorld::Use(const ProviderCase& c) {
  workarounds_ = c.moto_workarounds;
  SetRules(R"({"rules": []})");
}

void E2eWorld::SetRules(const std::string& rules_json) {
  nlohmann::json rules = nlohmann::json::parse(rules_json);
  for (const nlohmann::json& rule : workarounds_) rules["rules"].push_back(rule);
  std::string why;
  ASSERT_TRUE(proxy_->SetRules(rules.dump(), &why)) << why;
}

std::string E2eWorld::Leftovers() const {
  std::string why;
  const std::vector<MotoInstance> instances = MotoInstances(*moto_, &why);
  if (!why.empty()) return "cannot list moto's instances: " + why;
  const std::vector<MotoResource> resources = MotoResources(*moto_, &why);
  if (!why.empty()) return "cannot list moto's fleets, groups and launch templates: " + why;
  std::string left;
  for (const MotoInstance& i : instances) {
    if (i.Live() && !i.Tag(kTagProvider).empty()) left += "instance " + Describe({i});
  }
  for (const MotoResource& r : resources) {
    // Only ohfp makes fleets and groups here; its launch templates are named ohfp-<request id>.
    const bool ours = r.kind != MotoResource::Kind::kLaunchTemplate || !r.request_id.empty();
    if (ours && r.live) left += r.ToString() + "\n";
  }
  return left;
}

nlohmann::json E2eWorld::Templates(const ProviderCase& c) const {
  nlohmann::json templates = c.templates;
  if (!c.needs_subnets) return templates;
  std::string why;
  std::vector<std::string> subnets = MotoDefaultSubnets(*moto_, &why);
  if (subnets.size() < 2) {
    ADD_FAILURE() << "moto has no two default subnets: " << why;
    return templates;
  }
  subnets.resize(2);
  for (nlohmann::json& t : templates["templates"]) t["subnetId"] = subnets;
  return templates;
}

nlohmann::json E2eWorld::Stats() const {
  return nlohmann::json::parse(proxy_->Stats(), nullptr, /*allow_exceptions=*/false);
}

int E2eWorld::ProxyRequests(const std::string& action) const {
  const nlohmann::json stats = Stats();
  if (stats.is_discarded()) return -1;
  // Through value(): a const json's operator[] asserts on a missing key.
  const nlohmann::json counters = action.empty() ? stats.value("totals", nlohmann::json::object())
                                                 : stats.value("actions", nlohmann::json::object())
                                                       .value(action, nlohmann::json::object());
  return counters.is_object() ? counters.value("requests", 0) : 0;
}

namespace {

// The three templates every case has, for `api`, with `extra` fields merged into each (e.g.
// fleetType, priceType, fleetRole).
nlohmann::json CaseTemplates(const std::string& api, const nlohmann::json& extra) {
  nlohmann::json templates = nlohmann::json::parse(R"({"templates": [
      {"templateId": "OnDemand", "maxNumber": 100, "imageId": "ami-12c6146b", "vmType": "t2.micro",
       "priceType": "ondemand", "instanceTags": "project=e2e",
       "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "1"],
                      "nram": ["Numeric", "1024"]}},
      {"templateId": "Sized", "maxNumber": 20, "imageId": "ami-12c6146b", "vmType": "m5.large"},
      {"templateId": "Limited", "maxNumber": 6, "imageId": "ami-12c6146b", "vmType": "t2.micro",
       "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "1"],
                      "nram": ["Numeric", "1024"]}}]})");
  for (nlohmann::json& t : templates["templates"]) {
    t["providerApi"] = api;
    t.update(extra);
  }
  return templates;
}

// A proxy rule answering `action` as AWS does, because moto cannot.
nlohmann::json MotoLacks(const std::string& action, const std::string& inner) {
  return {{"name", "moto-lacks-" + action},
          {"match", {{"action", action}}},
          {"fault",
           {{"type", "respond"},
            {"status", 200},
            {"body", "<" + action +
                         "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                         "<requestId>{{request_id}}</requestId>" +
                         inner + "</" + action + "Response>"}}}};
}

}  // namespace

ProviderCase RunInstancesCase() {
  return {.name = "RunInstances",
          .api = "RunInstances",
          .templates = CaseTemplates("RunInstances", nlohmann::json::object()),
          .launch_actions = {"RunInstances"},
          .release_actions = {"TerminateInstances"},
          .crash_trials = 6};
}

ProviderCase Ec2FleetCase() {
  return {
      .name = "EC2FleetMaintainModifyFleetViaProxy",
      .api = "EC2Fleet",
      .templates = CaseTemplates("EC2Fleet", {{"fleetType", "maintain"}}),
      .needs_subnets = true,
      // moto 5.2.1 has no ModifyFleet (HTTP 500): the proxy accepts it as AWS does. moto therefore
      // never lowers the fleet's target; the handler's ModifyFleet is counted on the proxy instead.
      .moto_workarounds =
          nlohmann::json::array({MotoLacks("ModifyFleet", "<return>true</return>")}),
      .resource = MotoResource::Kind::kFleet,
      .moto_tracks_target = false,
      .launch_actions = {"CreateLaunchTemplate", "CreateFleet"},
      // Not ModifyFleet: a latency rule would forward it to moto, past the workaround.
      .release_actions = {"TerminateInstances"},
      .crash_trials = 3};
}

ProviderCase SpotFleetCase() {
  return {.name = "SpotFleetMaintain",
          .api = "SpotFleet",
          .templates = CaseTemplates(
              "SpotFleet",
              {{"fleetType", "maintain"},
               {"priceType", "spot"},
               {"fleetRole", "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role"}}),
          .needs_subnets = true,
          .resource = MotoResource::Kind::kSpotFleet,
          .moto_tracks_target = true,
          .launch_actions = {"CreateLaunchTemplate", "RequestSpotFleet"},
          .release_actions = {"ModifySpotFleetRequest", "TerminateInstances"},
          .crash_trials = 3};
}

ProviderCase AsgCase() {
  return {.name = "ASG",
          .api = "ASG",
          .templates = CaseTemplates("ASG", nlohmann::json::object()),
          .needs_subnets = true,
          .resource = MotoResource::Kind::kGroup,
          .moto_tracks_target = true,
          .launch_actions = {"CreateLaunchTemplate", "CreateAutoScalingGroup"},
          .release_actions = {"DetachInstances", "TerminateInstances"},
          .crash_trials = 3};
}

std::vector<ProviderCase> ProviderCases() {
  return {RunInstancesCase(), Ec2FleetCase(), SpotFleetCase(), AsgCase()};
}

std::string CaseName(const ::testing::TestParamInfo<ProviderCase>& param) {
  return param.param.name;
}

nlohmann::json ConfigWith(const nlohmann::json& provider, const nlohmann::json& breaker) {
  nlohmann::json config = FastTestConfig();
  if (!provider.is_null()) config["provider"] = provider;
  if (!breaker.is_null()) {
    for (const char* service : {"aws_ec2", "aws_spot_fleet", "aws_autoscaling"}) {
      for (const auto& [k, v] : breaker.items()) {
        config["resilience"]["circuit_breaker"]["services"][service][k] = v;
      }
    }
  }
  return config;
}

hf_simulator::SimulatorOptions SimulatorFor(const PluginInstall& install) {
  hf_simulator::SimulatorOptions options;
  options.shim_dir = std::string(OHFP_SOURCE_DIR) + "/scripts/hostfactory";
  options.env = install.Env();
  options.unset_env = {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                       "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_REGION"};
  if (options.env.count("HF_PROVIDER_NAME") == 0) options.unset_env.push_back("HF_PROVIDER_NAME");
  options.command_timeout = std::chrono::seconds(120);
  return options;
}

std::vector<Row> ReadRows(const std::string& db_path, const std::string& sql) {
  std::vector<Row> rows;
  if (!std::filesystem::exists(db_path)) return rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << (db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    // A process killed while it created the database leaves it without tables: nothing saved.
    const std::string error = sqlite3_errmsg(db);
    if (error.rfind("no such table", 0) != 0) {
      ADD_FAILURE() << "cannot run `" << sql << "` on " << db_path << ": " << error;
    }
    sqlite3_close(db);
    return rows;
  }
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const unsigned char* text = sqlite3_column_text(stmt, c);
      row[sqlite3_column_name(stmt, c)] =
          text == nullptr ? std::string("NULL") : std::string(reinterpret_cast<const char*>(text));
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << "reading " << db_path << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::string StoreSnapshot(const std::string& db_path) {
  std::ostringstream s;
  const std::vector<std::pair<std::string, std::string>> tables = {
      {"requests", "id"},
      {"attempts", "request_id, number"},
      {"machines", "instance_id"},
      {"return_machines", "return_id, instance_id"}};
  for (const auto& [table, key] : tables) {
    s << "[" << table << "]\n";
    for (const Row& row : ReadRows(db_path, "SELECT * FROM " + table + " ORDER BY " + key)) {
      for (const auto& [column, value] : row) s << column << "=" << value << " ";
      s << "\n";
    }
  }
  return s.str();
}

}  // namespace ohfp::testing
