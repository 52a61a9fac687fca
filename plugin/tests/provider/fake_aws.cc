#include "fake_aws.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "ohfp/chaos_proxy/aws_request.h"

namespace ohfp::provider::testing {
namespace {

// The Query body as name -> value, decoded as the chaos proxy decodes what it forwards.
Params DecodeForm(std::string_view body) {
  Params p;
  for (auto& [name, value] : chaos_proxy::ParseFormUrlEncoded(body)) p[name] = std::move(value);
  return p;
}

std::string Value(const Params& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

// "<prefix>1.Key"/"<prefix>1.Value", "<prefix>2.Key", ... as tags.
std::vector<Tag> TagsAt(const Params& p, const std::string& prefix) {
  std::vector<Tag> out;
  for (int i = 1;; ++i) {
    auto k = p.find(prefix + std::to_string(i) + ".Key");
    if (k == p.end()) return out;
    out.push_back({k->second, Value(p, prefix + std::to_string(i) + ".Value")});
  }
}

// The tags of the "<prefix>TagSpecification.N" whose ResourceType is `type`.
std::vector<Tag> TagSpecificationFor(const Params& p, const std::string& prefix,
                                     const std::string& type) {
  for (int i = 1;; ++i) {
    const std::string spec = prefix + "TagSpecification." + std::to_string(i);
    auto it = p.find(spec + ".ResourceType");
    if (it == p.end()) return {};
    if (it->second == type) return TagsAt(p, spec + ".Tag.");
  }
}

void SetTags(std::vector<Tag>& tags, const std::vector<Tag>& add) {
  for (const Tag& a : add) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == a.key; });
    if (it == tags.end()) {
      tags.push_back(a);
    } else {
      it->value = a.value;
    }
  }
}

bool IsAutoScaling(std::string_view action) {
  static constexpr std::array<std::string_view, 7> kActions = {
      "CreateAutoScalingGroup",   "DescribeAutoScalingGroups",
      "UpdateAutoScalingGroup",   "DeleteAutoScalingGroup",
      "DetachInstances",          "TerminateInstanceInAutoScalingGroup",
      "DescribeScalingActivities"};
  return std::find(kActions.begin(), kActions.end(), action) != kActions.end();
}

bool IsLive(const std::string& state) { return state == "pending" || state == "running"; }

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// ---- EC2's XML ----

aws::HttpResponse Ec2Ok(const std::string& action, const std::string& inner) {
  return {200,
          {},
          "<" + action +
              "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
              "<requestId>r-1</requestId>" +
              inner + "</" + action + "Response>"};
}

std::string TagSet(const std::vector<Tag>& tags) {
  std::string out = "<tagSet>";
  for (const Tag& t : tags) {
    out += "<item><key>" + t.key + "</key><value>" + t.value + "</value></item>";
  }
  return out + "</tagSet>";
}

std::string InstanceXml(const std::string& id, const FakeInstance& i) {
  return "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
         "</instanceType><instanceState><name>" + i.state + "</name></instanceState>" +
         (i.lifecycle.empty() ? "" : "<instanceLifecycle>" + i.lifecycle + "</instanceLifecycle>") +
         (i.spot_request_id.empty()
              ? ""
              : "<spotInstanceRequestId>" + i.spot_request_id + "</spotInstanceRequestId>") +
         TagSet(i.tags) + "</item>";
}

std::string PoolErrorXml(const FakePoolError& e) {
  return "<item><launchTemplateAndOverrides><overrides><instanceType>c5.large</instanceType>"
         "<subnetId>subnet-0000000a</subnetId></overrides></launchTemplateAndOverrides>"
         "<lifecycle>on-demand</lifecycle><errorCode>" +
         e.code + "</errorCode><errorMessage>" + e.message + "</errorMessage></item>";
}

std::string FleetInstanceSet(const FakeFleet& f) {
  if (f.members.empty()) return "<fleetInstanceSet/>";
  std::string ids;
  for (const std::string& id : f.members) ids += "<item>" + id + "</item>";
  return "<fleetInstanceSet><item><instanceIds>" + ids +
         "</instanceIds><instanceType>c5.large</instanceType><lifecycle>on-demand</lifecycle>"
         "</item></fleetInstanceSet>";
}

std::string FleetXml(const FakeFleet& f) {
  std::string errors;
  for (const FakePoolError& e : f.errors) errors += PoolErrorXml(e);
  return "<item><fleetId>" + f.id + "</fleetId><fleetState>" + f.state + "</fleetState>" +
         (f.activity.empty() ? "" : "<activityStatus>" + f.activity + "</activityStatus>") +
         "<type>" + f.type + "</type><targetCapacitySpecification><totalTargetCapacity>" +
         std::to_string(f.target) + "</totalTargetCapacity>" +
         (f.on_demand_target
              ? "<onDemandTargetCapacity>" + std::to_string(*f.on_demand_target) +
                    "</onDemandTargetCapacity><spotTargetCapacity>" +
                    std::to_string(f.target - *f.on_demand_target) + "</spotTargetCapacity>"
              : "") +
         "</targetCapacitySpecification><fulfilledCapacity>" + std::to_string(f.fulfilled) +
         "</fulfilledCapacity>" + TagSet(f.tags) + "<errorSet>" + errors + "</errorSet>" +
         (f.type == "instant" ? FleetInstanceSet(f) : "") + "</item>";
}

std::string SpotFleetXml(const FakeSpotFleet& f) {
  return "<item><spotFleetRequestId>" + f.id + "</spotFleetRequestId><spotFleetRequestState>" +
         f.state + "</spotFleetRequestState>" +
         (f.activity.empty() ? "" : "<activityStatus>" + f.activity + "</activityStatus>") +
         "<spotFleetRequestConfig><targetCapacity>" + std::to_string(f.target) +
         "</targetCapacity><onDemandTargetCapacity>" + std::to_string(f.on_demand_target) +
         "</onDemandTargetCapacity><fulfilledCapacity>" + std::to_string(f.fulfilled) +
         "</fulfilledCapacity>" + (f.type.empty() ? "" : "<type>" + f.type + "</type>") +
         (f.valid_until.empty() ? "" : "<validUntil>" + f.valid_until + "</validUntil>") +
         "</spotFleetRequestConfig>" + TagSet(f.tags) + "</item>";
}

// Whether the instance passes every Filter.N (and is among InstanceId.N, when given).
bool Matches(const Params& p, const std::string& id, const FakeInstance& i) {
  const std::vector<std::string> ids = Listed(p, "InstanceId.");
  if (!ids.empty() && !Contains(ids, id)) return false;
  for (int n = 1;; ++n) {
    const std::string filter = "Filter." + std::to_string(n);
    auto name = p.find(filter + ".Name");
    if (name == p.end()) return true;
    const std::vector<std::string> values = Listed(p, filter + ".Value.");
    bool match = false;
    for (const std::string& v : values) {
      if (name->second == "instance-id" && v == id) match = true;
      if (name->second == "instance-state-name" && v == i.state) match = true;
      if (name->second == "tag-key" &&
          std::any_of(i.tags.begin(), i.tags.end(), [&](const Tag& t) { return t.key == v; })) {
        match = true;
      }
      if (name->second.starts_with("tag:") && HasTag(i.tags, name->second.substr(4), v)) {
        match = true;
      }
    }
    if (!match) return false;
  }
}

// ---- Auto Scaling's XML ----

aws::HttpResponse AutoScalingOk(const std::string& action, const std::string& result = "") {
  return {
      200,
      {},
      "<" + action + "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">" +
          (result.empty() ? "" : "<" + action + "Result>" + result + "</" + action + "Result>") +
          "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></" + action +
          "Response>"};
}

std::string GroupXml(const FakeGroup& g) {
  std::string x = "<member><AutoScalingGroupName>" + g.name + "</AutoScalingGroupName>" +
                  "<MinSize>" + std::to_string(g.min) + "</MinSize><MaxSize>" +
                  std::to_string(g.max) + "</MaxSize><DesiredCapacity>" +
                  std::to_string(g.desired) + "</DesiredCapacity>";
  if (!g.status.empty()) x += "<Status>" + g.status + "</Status>";
  if (!g.weights.empty()) {
    x += "<MixedInstancesPolicy><LaunchTemplate><LaunchTemplateSpecification>"
         "<LaunchTemplateId>" +
         g.launch_template_id + "</LaunchTemplateId></LaunchTemplateSpecification><Overrides>";
    for (const auto& [type, w] : g.weights) {
      x += "<member><InstanceType>" + type + "</InstanceType><WeightedCapacity>" +
           std::to_string(w) + "</WeightedCapacity></member>";
    }
    x += "</Overrides></LaunchTemplate></MixedInstancesPolicy>";
  } else if (!g.launch_template_id.empty()) {
    x += "<LaunchTemplate><LaunchTemplateId>" + g.launch_template_id +
         "</LaunchTemplateId><Version>$Default</Version></LaunchTemplate>";
  }
  x += "<Instances>";
  for (const FakeGroupMember& m : g.members) {
    x += "<member><InstanceId>" + m.id + "</InstanceId><InstanceType>" + m.type +
         "</InstanceType><LifecycleState>" + m.lifecycle +
         "</LifecycleState><HealthStatus>Healthy</HealthStatus>"
         "<ProtectedFromScaleIn>true</ProtectedFromScaleIn>";
    if (m.weight) x += "<WeightedCapacity>" + std::to_string(*m.weight) + "</WeightedCapacity>";
    x += "</member>";
  }
  x += "</Instances><Tags>";
  for (const Tag& t : g.tags) {
    x += "<member><Key>" + t.key + "</Key><Value>" + t.value +
         "</Value><PropagateAtLaunch>true</PropagateAtLaunch></member>";
  }
  return x + "</Tags></member>";
}

std::string ActivityXml(const std::string& group, const FakeActivity& a) {
  return "<member><ActivityId>a-1</ActivityId><AutoScalingGroupName>" + group +
         "</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: " +
         a.message +
         "</Description><Cause>At 2026-01-01T00:00:00Z a user request created an "
         "AutoScalingGroup</Cause><StartTime>" +
         a.start + "</StartTime><StatusCode>" + a.status + "</StatusCode>" +
         (a.message.empty() ? "" : "<StatusMessage>" + a.message + "</StatusMessage>") +
         "<Progress>100</Progress></member>";
}

// The fleet (EC2 Fleet or Spot Fleet) with this id; nullptr when there is none.
template <class F>
F* Find(std::vector<F>& fleets, const std::string& id) {
  for (F& f : fleets) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

// A fleet "<prefix>7000", "<prefix>7001", ... of `n` running members ("i-0<number>", "i-1<number>",
// ..., each added by `add_member`), fulfilled.
template <class F, class AddMember>
F& Seed(std::vector<F>& fleets, const std::string& prefix, int n, std::string type,
        std::vector<Tag> tags, AddMember add_member) {
  F& f = fleets.emplace_back();
  f.id = prefix + std::to_string(7000 + fleets.size() - 1);
  f.target = n;
  f.fulfilled = n;
  f.type = std::move(type);
  f.tags = std::move(tags);
  for (int i = 0; i < n; ++i) add_member(f, "i-" + std::to_string(i) + f.id.substr(prefix.size()));
  return f;
}

}  // namespace

std::vector<std::string> Listed(const Params& p, const std::string& prefix) {
  std::vector<std::string> out;
  for (int n = 1;; ++n) {
    auto it = p.find(prefix + std::to_string(n));
    if (it == p.end()) return out;
    out.push_back(it->second);
  }
}

bool HasTag(const std::vector<Tag>& tags, std::string_view key, std::string_view value) {
  return std::any_of(tags.begin(), tags.end(),
                     [&](const Tag& t) { return t.key == key && t.value == value; });
}

// ---- FakeAws: plumbing ----

resilience::Result<aws::HttpResponse> FakeAws::Send(const aws::HttpRequest& request,
                                                    resilience::Deadline, std::stop_token) {
  Params p = DecodeForm(request.body);
  const std::string action = Value(p, "Action");
  Script script;
  {
    std::lock_guard lock(mu_);
    calls_.push_back({action, p});
    if (auto r = refusals_.find(action); r != refusals_.end()) {
      const Refusal refusal = r->second;
      if (r->second.times > 0 && --r->second.times == 0) refusals_.erase(r);
      return Error(IsAutoScaling(action), refusal.status, refusal.code, refusal.message);
    }
    if (auto s = scripts_.find(action); s != scripts_.end()) script = s->second;
  }
  if (script) return script(p);
  return Model(action, p);
}

aws::HttpResponse FakeAws::Model(const std::string& action, const Params& p) {
  std::lock_guard lock(mu_);
  return IsAutoScaling(action) ? AutoScaling(action, p) : Ec2(action, p);
}

void FakeAws::Refuse(std::string action, Refusal refusal) {
  std::lock_guard lock(mu_);
  refusals_[std::move(action)] = std::move(refusal);
}

void FakeAws::StopRefusing(const std::string& action) {
  std::lock_guard lock(mu_);
  refusals_.erase(action);
}

void FakeAws::On(std::string action, Script script) {
  std::lock_guard lock(mu_);
  scripts_[std::move(action)] = std::move(script);
}

void FakeAws::Off(const std::string& action) {
  std::lock_guard lock(mu_);
  scripts_.erase(action);
}

std::vector<Params> FakeAws::Calls(std::string_view action) const {
  std::lock_guard lock(mu_);
  std::vector<Params> out;
  for (const Call& c : calls_) {
    if (c.action == action) out.push_back(c.params);
  }
  return out;
}

std::vector<std::string> FakeAws::Actions() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const Call& c : calls_) out.push_back(c.action);
  return out;
}

long FakeAws::Position(std::string_view action) const {
  const std::vector<std::string> actions = Actions();
  return std::distance(actions.begin(), std::find(actions.begin(), actions.end(), action));
}

aws::HttpResponse FakeAws::Error(bool autoscaling, int status, const std::string& code,
                                 const std::string& message) {
  const std::string text = message.empty() ? code + " (fake)" : message;
  if (autoscaling) {
    return {status,
            {},
            "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + text +
                "</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"};
  }
  return {status,
          {},
          "<Response><Errors><Error><Code>" + code + "</Code><Message>" + text +
              "</Message></Error></Errors><RequestID>r-2</RequestID></Response>"};
}

// ---- FakeAws: state ----

FakeFleet* FakeAws::Fleet(const std::string& id) { return Find(fleets, id); }

FakeSpotFleet* FakeAws::SpotFleet(const std::string& id) { return Find(spot_fleets, id); }

FakeGroup* FakeAws::Group(const std::string& name) {
  auto it = groups.find(name);
  return it == groups.end() ? nullptr : &it->second;
}

FakeFleet& FakeAws::AddFleet(std::vector<Tag> tags, int n, std::string type) {
  return Seed(fleets, "fleet-", n, std::move(type), tags,
              [&](FakeFleet& f, const std::string& id) { AddMember(f, id, tags); });
}

FakeSpotFleet& FakeAws::AddSpotFleet(std::vector<Tag> tags, int n, std::string type) {
  return Seed(spot_fleets, "sfr-", n, std::move(type), tags,
              [&](FakeSpotFleet& f, const std::string& id) { AddSpotMember(f, id, tags); });
}

void FakeAws::AddMember(FakeFleet& fleet, const std::string& id, std::vector<Tag> tags,
                        std::string type, std::string lifecycle) {
  instances[id] = FakeInstance{
      .type = std::move(type), .lifecycle = std::move(lifecycle), .tags = std::move(tags)};
  fleet.members.push_back(id);
}

void FakeAws::AddSpotMember(FakeSpotFleet& fleet, const std::string& id, std::vector<Tag> tags,
                            std::string type) {
  instances[id] = FakeInstance{.type = std::move(type),
                               .lifecycle = "spot",
                               .spot_request_id = "sir-" + id,
                               .tags = std::move(tags)};
  fleet.members.push_back(id);
}

std::string FakeAws::NewLaunchTemplateId() const {
  return "lt-0" + std::to_string(100000000 + launch_templates.size());
}

void FakeAws::Terminate(const std::string& id) {
  FakeInstance& i = instances.at(id);
  if (i.state == "shutting-down" || i.state == "terminated") return;
  i.state = "shutting-down";
  for (FakeFleet& f : fleets) {
    if (Contains(f.members, id)) f.fulfilled -= 1;
  }
  for (FakeSpotFleet& f : spot_fleets) {
    if (Contains(f.members, id)) f.fulfilled -= 1;
  }
}

// ---- FakeAws: EC2 ----

aws::HttpResponse FakeAws::Ec2(const std::string& action, const Params& p) {
  const auto err = [](int status, const std::string& code, const std::string& message = "") {
    return Error(false, status, code, message);
  };

  // Instances.
  if (action == "DescribeInstances") {
    std::string items;
    for (const auto& [id, i] : instances) {
      if (Matches(p, id, i)) items += InstanceXml(id, i);
    }
    return Ec2Ok(action, "<reservationSet><item><instancesSet>" + items +
                             "</instancesSet></item></reservationSet>");
  }
  if (action == "TerminateInstances") {
    const std::vector<std::string> ids = Listed(p, "InstanceId.");
    for (const std::string& id : ids) {
      if (instances.count(id) == 0) {
        return err(400, "InvalidInstanceID.NotFound",
                   "The instance ID '" + id + "' does not exist");
      }
    }
    std::string items;
    for (const std::string& id : ids) {
      const std::string previous = instances.at(id).state;
      Terminate(id);
      items += "<item><instanceId>" + id + "</instanceId><previousState><name>" + previous +
               "</name></previousState><currentState><name>" + instances.at(id).state +
               "</name></currentState></item>";
    }
    return Ec2Ok(action, "<instancesSet>" + items + "</instancesSet>");
  }
  if (action == "CreateTags") {
    const std::vector<Tag> tags = TagsAt(p, "Tag.");
    for (const std::string& id : Listed(p, "ResourceId.")) {
      if (instances.count(id) != 0) SetTags(instances[id].tags, tags);
    }
    return Ec2Ok(action, "<return>true</return>");
  }

  // Launch templates.
  if (action == "CreateLaunchTemplate") {
    const std::string name = Value(p, "LaunchTemplateName");
    if (launch_templates.count(name) != 0) {
      return err(400, "InvalidLaunchTemplateName.AlreadyExistsException");
    }
    const std::string id = NewLaunchTemplateId();
    launch_templates[name] = {id, TagSpecificationFor(p, "", "launch-template")};
    return Ec2Ok(action, "<launchTemplate><launchTemplateId>" + id +
                             "</launchTemplateId><launchTemplateName>" + name +
                             "</launchTemplateName></launchTemplate>");
  }
  if (action == "DescribeLaunchTemplates") {
    const std::vector<std::string> names = Listed(p, "LaunchTemplateName.");
    const std::vector<std::string> ids = Listed(p, "LaunchTemplateId.");
    std::string items;
    for (const auto& [name, lt] : launch_templates) {
      if (auto filter = p.find("Filter.1.Name"); filter != p.end()) {
        const std::string key = filter->second.substr(4);  // "tag:"
        if (!HasTag(lt.tags, key, Value(p, "Filter.1.Value.1"))) continue;
      }
      if (!names.empty() && !Contains(names, name)) continue;
      if (!ids.empty() && !Contains(ids, lt.id)) continue;
      items += "<item><launchTemplateId>" + lt.id + "</launchTemplateId><launchTemplateName>" +
               name + "</launchTemplateName>" + TagSet(lt.tags) + "</item>";
    }
    return Ec2Ok(action, "<launchTemplates>" + items + "</launchTemplates>");
  }
  if (action == "DeleteLaunchTemplate") {
    for (auto it = launch_templates.begin(); it != launch_templates.end(); ++it) {
      if (it->second.id == Value(p, "LaunchTemplateId") ||
          it->first == Value(p, "LaunchTemplateName")) {
        const std::string xml = "<launchTemplate><launchTemplateId>" + it->second.id +
                                "</launchTemplateId><launchTemplateName>" + it->first +
                                "</launchTemplateName></launchTemplate>";
        launch_templates.erase(it);
        return Ec2Ok(action, xml);
      }
    }
    return err(400, "InvalidLaunchTemplateId.NotFound");
  }

  // EC2 Fleet.
  if (action == "CreateFleet") {
    FakeFleet f;
    f.id = "fleet-" + std::to_string(1000 + fleets.size());
    f.type = Value(p, "Type");
    f.target = std::stoi(Value(p, "TargetCapacitySpecification.TotalTargetCapacity"));
    if (p.count("TargetCapacitySpecification.OnDemandTargetCapacity") != 0) {
      f.on_demand_target =
          std::stoi(Value(p, "TargetCapacitySpecification.OnDemandTargetCapacity"));
    }
    f.tags = TagSpecificationFor(p, "", "fleet");
    // An instant fleet tags its instances as asked; the others with the launch template's tags
    // (none for a template ohfp did not create).
    std::vector<Tag> instance_tags = TagSpecificationFor(p, "", "instance");
    if (f.type != "instant") {
      const std::string lt =
          Value(p, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId");
      instance_tags.clear();
      for (const auto& [name, t] : launch_templates) {
        if (t.id == lt) instance_tags = t.tags;
      }
    }
    fleets.push_back(f);
    FakeFleet& added = fleets.back();
    for (int i = 0; i < launch_at_once; ++i) {
      AddMember(added, "i-" + added.id.substr(6) + "-" + std::to_string(i), instance_tags);
      added.fulfilled += 1;
    }
    std::string answer = "<fleetId>" + added.id + "</fleetId>";
    if (added.type == "instant") {
      added.errors = pool_errors;
      std::string errors;
      for (const FakePoolError& e : pool_errors) errors += PoolErrorXml(e);
      answer += "<errorSet>" + errors + "</errorSet>" + FleetInstanceSet(added);
    }
    return Ec2Ok(action, answer);
  }
  if (action == "DescribeFleets") {
    const std::vector<std::string> ids = Listed(p, "FleetId.");
    std::string items;
    for (const FakeFleet& f : fleets) {
      if (ids.empty() || Contains(ids, f.id)) items += FleetXml(f);
    }
    return Ec2Ok(action, "<fleetSet>" + items + "</fleetSet>");
  }
  if (action == "DescribeFleetInstances") {
    FakeFleet* f = Fleet(Value(p, "FleetId"));
    if (f == nullptr) return err(400, "InvalidFleetId.NotFound");
    if (f->type == "instant") return err(400, "InvalidParameterValue");  // AWS: not supported
    std::string items;
    for (const std::string& id : f->members) {
      const FakeInstance& i = instances.at(id);
      if (!IsLive(i.state)) continue;
      items += "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
               "</instanceType><instanceHealth>healthy</instanceHealth></item>";
    }
    return Ec2Ok(action, "<activeInstanceSet>" + items + "</activeInstanceSet><fleetId>" + f->id +
                             "</fleetId>");
  }
  if (action == "ModifyFleet") {
    FakeFleet* f = Fleet(Value(p, "FleetId"));
    if (f == nullptr) return err(400, "InvalidFleetId.NotFound");
    if (f->type != "maintain") return err(400, "InvalidParameterValue");  // maintain only
    f->target = std::stoi(Value(p, "TargetCapacitySpecification.TotalTargetCapacity"));
    if (p.count("TargetCapacitySpecification.OnDemandTargetCapacity") != 0) {
      f->on_demand_target =
          std::stoi(Value(p, "TargetCapacitySpecification.OnDemandTargetCapacity"));
    }
    return Ec2Ok(action, "<return>true</return>");
  }
  if (action == "DeleteFleets") {
    const bool terminate = Value(p, "TerminateInstances") == "true";
    std::string ok;
    std::string failed;
    for (const std::string& id : Listed(p, "FleetId.")) {
      FakeFleet* f = Fleet(id);
      if (f == nullptr) {
        failed += "<item><fleetId>" + id +
                  "</fleetId><error><code>fleetIdDoesNotExist</code><message>no such fleet"
                  "</message></error></item>";
        continue;
      }
      if (f->type == "instant" && !terminate) return err(400, "InvalidParameterCombination");
      const std::string previous = f->state;
      f->state = terminate ? "deleted_terminating" : "deleted_running";
      if (terminate) {
        for (const std::string& m : f->members) Terminate(m);
      }
      ok += "<item><fleetId>" + id + "</fleetId><currentFleetState>" + f->state +
            "</currentFleetState><previousFleetState>" + previous + "</previousFleetState></item>";
    }
    return Ec2Ok(action, "<successfulFleetDeletionSet>" + ok +
                             "</successfulFleetDeletionSet><unsuccessfulFleetDeletionSet>" +
                             failed + "</unsuccessfulFleetDeletionSet>");
  }

  // Spot Fleet.
  if (action == "RequestSpotFleet") {
    const std::string c = "SpotFleetRequestConfig.";
    FakeSpotFleet f;
    f.id = "sfr-" + std::to_string(1000 + spot_fleets.size());
    f.target = std::stoi(Value(p, c + "TargetCapacity"));
    f.type = p.count(c + "Type") != 0 ? Value(p, c + "Type") : "maintain";
    f.tags = TagSpecificationFor(p, c, "spot-fleet-request");
    // Its instances carry the launch template's tags (none from a user's own template).
    std::vector<Tag> instance_tags;
    const std::string lt =
        Value(p, c + "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId");
    for (const auto& [name, t] : launch_templates) {
      if (t.id == lt) instance_tags = t.tags;
    }
    spot_fleets.push_back(f);
    FakeSpotFleet& added = spot_fleets.back();
    for (int i = 0; i < launch_at_once; ++i) {
      AddSpotMember(added, "i-" + added.id.substr(4) + std::to_string(i), instance_tags);
      added.fulfilled += 1;
    }
    return Ec2Ok(action, "<spotFleetRequestId>" + added.id + "</spotFleetRequestId>");
  }
  if (action == "DescribeSpotFleetRequests") {
    const std::vector<std::string> ids = Listed(p, "SpotFleetRequestId.");
    std::string items;
    for (const FakeSpotFleet& f : spot_fleets) {
      if (ids.empty() || Contains(ids, f.id)) items += SpotFleetXml(f);
    }
    if (!ids.empty() && items.empty()) return err(400, "InvalidSpotFleetRequestId.NotFound");
    return Ec2Ok(action, "<spotFleetRequestConfigSet>" + items + "</spotFleetRequestConfigSet>");
  }
  if (action == "DescribeSpotFleetInstances") {
    FakeSpotFleet* f = SpotFleet(Value(p, "SpotFleetRequestId"));
    if (f == nullptr) return err(400, "InvalidSpotFleetRequestId.NotFound");
    std::string items;
    for (const std::string& id : f->members) {
      const FakeInstance& i = instances.at(id);
      if (!IsLive(i.state)) continue;
      items += "<item><instanceId>" + id + "</instanceId><instanceType>" + i.type +
               "</instanceType>" +
               (i.spot_request_id.empty()
                    ? ""
                    : "<spotInstanceRequestId>" + i.spot_request_id + "</spotInstanceRequestId>") +
               "</item>";
    }
    return Ec2Ok(action, "<activeInstanceSet>" + items + "</activeInstanceSet>");
  }
  if (action == "DescribeSpotFleetRequestHistory") {
    FakeSpotFleet* f = SpotFleet(Value(p, "SpotFleetRequestId"));
    if (f == nullptr) return err(400, "InvalidSpotFleetRequestId.NotFound");
    std::string items;
    for (const FakeHistoryEvent& e : f->history) {
      items += "<item><timestamp>2026-01-01T00:00:05.000Z</timestamp><eventType>" + e.type +
               "</eventType><eventInformation><eventSubType>" + e.sub_type +
               "</eventSubType><eventDescription>" + e.description +
               "</eventDescription></eventInformation></item>";
    }
    return Ec2Ok(action, "<spotFleetRequestId>" + f->id +
                             "</spotFleetRequestId><historyRecordSet>" + items +
                             "</historyRecordSet>");
  }
  if (action == "ModifySpotFleetRequest") {
    FakeSpotFleet* f = SpotFleet(Value(p, "SpotFleetRequestId"));
    if (f == nullptr) return err(400, "InvalidSpotFleetRequestId.NotFound");
    if (f->type == "request") return err(400, "InvalidParameterValue");  // maintain only
    f->target = std::stoi(Value(p, "TargetCapacity"));
    if (p.count("OnDemandTargetCapacity") != 0) {
      f->on_demand_target = std::stoi(Value(p, "OnDemandTargetCapacity"));
    }
    return Ec2Ok(action, "<return>true</return>");
  }
  if (action == "CancelSpotFleetRequests") {
    const bool terminate = Value(p, "TerminateInstances") == "true";
    std::string ok;
    for (const std::string& id : Listed(p, "SpotFleetRequestId.")) {
      FakeSpotFleet* f = SpotFleet(id);
      if (f == nullptr) continue;
      const std::string previous = f->state;
      f->state = terminate ? "cancelled_terminating" : "cancelled_running";
      if (terminate) {
        for (const std::string& m : f->members) Terminate(m);
      }
      ok += "<item><spotFleetRequestId>" + id +
            "</spotFleetRequestId><currentSpotFleetRequestState>" + f->state +
            "</currentSpotFleetRequestState><previousSpotFleetRequestState>" + previous +
            "</previousSpotFleetRequestState></item>";
    }
    return Ec2Ok(action, "<successfulFleetRequestSet>" + ok + "</successfulFleetRequestSet>");
  }

  ADD_FAILURE() << "FakeAws: unmodelled EC2 action " << action;
  return err(400, "InvalidAction");
}

// ---- FakeAws: Auto Scaling ----

aws::HttpResponse FakeAws::AutoScaling(const std::string& action, const Params& p) {
  const auto err = [](int status, const std::string& code, const std::string& message) {
    return Error(true, status, code, message);
  };
  const std::string name = Value(p, "AutoScalingGroupName");
  const auto not_found = [&] {
    return err(400, "ValidationError", "AutoScalingGroup name not found - null");
  };

  if (action == "DescribeAutoScalingGroups") {
    const std::vector<std::string> names = Listed(p, "AutoScalingGroupNames.member.");
    std::string items;
    for (const auto& [n, g] : groups) {
      if (names.empty() || Contains(names, n)) items += GroupXml(g);
    }
    return AutoScalingOk(action, "<AutoScalingGroups>" + items + "</AutoScalingGroups>");
  }
  if (action == "CreateAutoScalingGroup") {
    if (groups.count(name) != 0) {
      return err(400, "AlreadyExists",
                 "AutoScalingGroup by this name already exists - A group with the name " + name +
                     " already exists");
    }
    FakeGroup g{.name = name,
                .min = std::stoi(Value(p, "MinSize")),
                .max = std::stoi(Value(p, "MaxSize")),
                .desired = std::stoi(Value(p, "DesiredCapacity"))};
    const std::string policy = "MixedInstancesPolicy.LaunchTemplate.";
    g.launch_template_id = p.count("LaunchTemplate.LaunchTemplateId") != 0
                               ? Value(p, "LaunchTemplate.LaunchTemplateId")
                               : Value(p, policy + "LaunchTemplateSpecification.LaunchTemplateId");
    for (int n = 1;; ++n) {
      const std::string o = policy + "Overrides.member." + std::to_string(n) + ".";
      if (p.count(o + "InstanceType") == 0) break;
      if (p.count(o + "WeightedCapacity") != 0) {
        g.weights.emplace_back(Value(p, o + "InstanceType"),
                               std::stoi(Value(p, o + "WeightedCapacity")));
      }
    }
    g.tags = TagsAt(p, "Tags.member.");
    groups[name] = std::move(g);  // it launches later, if ever
    return AutoScalingOk(action);
  }
  if (action == "UpdateAutoScalingGroup") {
    FakeGroup* g = Group(name);
    if (g == nullptr) return not_found();
    if (p.count("DesiredCapacity") != 0) g->desired = std::stoi(Value(p, "DesiredCapacity"));
    if (p.count("MaxSize") != 0) g->max = std::stoi(Value(p, "MaxSize"));
    if (p.count("MinSize") != 0) g->min = std::stoi(Value(p, "MinSize"));
    return AutoScalingOk(action);
  }
  if (action == "DeleteAutoScalingGroup") {
    if (groups.erase(name) == 0) return not_found();
    return AutoScalingOk(action);
  }
  if (action == "DetachInstances") {
    // The instances leave the group; with ShouldDecrementDesiredCapacity its target drops by their
    // number (AWS documents "by the number of instances", weights or not).
    FakeGroup* g = Group(name);
    if (g == nullptr) return not_found();
    const std::vector<std::string> ids = Listed(p, "InstanceIds.member.");
    for (const std::string& id : ids) {
      if (std::none_of(g->members.begin(), g->members.end(),
                       [&](const FakeGroupMember& m) { return m.id == id; })) {
        return err(400, "ValidationError",
                   "The instance " + id + " is not part of Auto Scaling group " + name + ".");
      }
    }
    std::erase_if(g->members, [&](const FakeGroupMember& m) { return Contains(ids, m.id); });
    if (Value(p, "ShouldDecrementDesiredCapacity") == "true") {
      g->desired -= static_cast<int>(ids.size());
    }
    std::string activities;
    for (const std::string& id : ids) {
      activities += "<member><ActivityId>a-" + id +
                    "</ActivityId><Description>Detaching EC2 instance: " + id +
                    "</Description><StatusCode>InProgress</StatusCode></member>";
    }
    return AutoScalingOk(action, "<Activities>" + activities + "</Activities>");
  }
  if (action == "TerminateInstanceInAutoScalingGroup") {
    const std::string id = Value(p, "InstanceId");
    for (auto& [n, g] : groups) {
      for (FakeGroupMember& m : g.members) {
        if (m.id != id) continue;
        if (Value(p, "ShouldDecrementDesiredCapacity") == "true") --g.desired;
        m.lifecycle = "Terminating";
        if (instances.count(id) != 0) Terminate(id);
        return AutoScalingOk(action, "<Activity><ActivityId>a-" + id + "</ActivityId></Activity>");
      }
    }
    return err(400, "ValidationError",
               "Instance Id not found - No managed instance found for instance ID: " + id);
  }
  if (action == "DescribeScalingActivities") {
    std::string activities;
    if (const FakeGroup* g = Group(name)) {
      for (const FakeActivity& a : g->activities) activities += ActivityXml(name, a);
    }
    return AutoScalingOk(action, "<Activities>" + activities + "</Activities>");
  }

  ADD_FAILURE() << "FakeAws: unmodelled Auto Scaling action " << action;
  return err(400, "InvalidAction", action);
}

// ---- FakeAwsClient ----

FakeAwsClient::FakeAwsClient(const resilience::ResilienceConfig& config,
                             resilience::ResilienceObserver* observer)
    : credentials_(aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s"}),
      pipeline_(config, {clock_, random_, store_, observer}),
      client_("us-east-1",
              {aws::Endpoint{std::string(FakeAws::kEc2Url), "127.0.0.1:9999", "ec2", "us-east-1",
                             "test"},
               aws::Endpoint{std::string(FakeAws::kAutoScalingUrl), "127.0.0.1:9998", "autoscaling",
                             "us-east-1", "test"},
               aws::Endpoint{std::string(FakeAws::kMonitoringUrl), "127.0.0.1:9997", "monitoring",
                             "us-east-1", "test"}},
              aws::AwsClientDependencies{.transport = aws_,
                                         .credentials = credentials_,
                                         .clock = clock_,
                                         .pipeline = pipeline_}) {}

resilience::ResilienceConfig RetryingConfig() {
  resilience::ResilienceConfig c;
  c.retry.default_backoff.jitter = resilience::JitterMode::kNone;
  c.circuit_breaker.defaults.failure_threshold = 1000;
  return c;
}

resilience::ResilienceConfig SingleAttemptConfig() {
  resilience::ResilienceConfig c;
  c.retry.enabled = false;
  c.circuit_breaker.enabled = false;
  return c;
}

}  // namespace ohfp::provider::testing
