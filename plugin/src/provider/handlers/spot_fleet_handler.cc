#include "provider/handlers/spot_fleet_handler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

#include "aws/ec2/instances.h"
#include "base/strings.h"
#include "base/time_text.h"
#include "provider/handlers/instance_ops.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using ec2::SpotFleetRequestDescription;
using ec2::SpotFleetState;
using ec2::SpotFleetType;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using resilience::SysTime;

// At most this many distinct history messages go into an observation's errors.
constexpr std::size_t kMaxHistoryMessages = 5;
// Capacity units are doubles; compare them with some slack.
constexpr double kUnitSlack = 1e-9;

bool IsTerminated(std::string_view state) { return state == "terminated"; }

bool HasTag(const std::vector<ec2::Tag>& tags, std::string_view key, std::string_view value) {
  return std::any_of(tags.begin(), tags.end(),
                     [&](const ec2::Tag& t) { return t.key == key && t.value == value; });
}

// The Spot Fleet request tagged with the request id: a live one first, else any; nullopt when none.
Result<std::optional<SpotFleetRequestDescription>> FindTaggedFleet(aws::AwsClient& client,
                                                                   std::string_view request_id) {
  Result<std::vector<SpotFleetRequestDescription>> all = ec2::DescribeSpotFleetRequests(client, {});
  if (!all.ok()) return all.error();
  std::optional<SpotFleetRequestDescription> found;
  for (SpotFleetRequestDescription& d : *all) {
    if (!HasTag(d.tags, model::kTagRequestId, request_id)) continue;
    if (!found || (IsCancelledOrFailed(found->state) && !IsCancelledOrFailed(d.state))) {
      found = std::move(d);
    }
  }
  return found;
}

// The fleet's own tags without the weights: what an untagged instance of the request gets.
std::vector<ec2::Tag> InstanceTagsFrom(const model::Request& request,
                                       const std::vector<ec2::Tag>& fleet_tags) {
  std::vector<ec2::Tag> tags;
  for (const ec2::Tag& t : fleet_tags) {
    if (!t.key.starts_with(kTagWeightPrefix)) tags.push_back(t);
  }
  if (!HasTag(tags, model::kTagRequestId, request.id)) {
    tags = {{std::string(model::kTagRequestId), request.id},
            {std::string(model::kTagTemplateId), request.template_id}};
  }
  return tags;
}

double WeightOf(const std::map<std::string, double, std::less<>>& weights, std::string_view type) {
  auto it = weights.find(type);
  return it == weights.end() ? 1.0 : it->second;
}

// What a fleet holds: its live instances (pending or running), those not already released.
struct Holding {
  double units = 0;
  double on_demand_units = 0;
  double released_units = 0;  // of `releasing`
  double released_on_demand_units = 0;
  std::vector<std::string> releasing_live{};  // of `releasing`, live and not yet marked
  std::map<std::string, ec2::Instance> described{};
};

Result<Holding> HoldingOf(aws::AwsClient& client, const SpotFleetRequestDescription& fleet,
                          const std::vector<std::string>& releasing) {
  Holding h;
  Result<std::vector<ec2::SpotFleetInstance>> active =
      ec2::DescribeSpotFleetInstances(client, fleet.spot_fleet_request_id);
  if (!active.ok() && active.error().kind() != ErrorKind::kNotFound) return active.error();
  std::vector<ec2::SpotFleetInstance> members =
      active.ok() ? std::move(*active) : std::vector<ec2::SpotFleetInstance>{};
  std::set<std::string> ids(releasing.begin(), releasing.end());
  for (const ec2::SpotFleetInstance& m : members) ids.insert(m.instance_id);
  Result<std::vector<ec2::Instance>> described =
      DescribeByIds(client, std::vector<std::string>(ids.begin(), ids.end()));
  if (!described.ok()) return described.error();
  for (ec2::Instance& i : *described) h.described[i.instance_id] = std::move(i);
  const std::map<std::string, double, std::less<>> weights = SpotFleetWeights(fleet.tags);
  const std::set<std::string> released(releasing.begin(), releasing.end());
  for (const ec2::SpotFleetInstance& m : members) {
    auto it = h.described.find(m.instance_id);
    // The fleet lists it but EC2 does not show it yet: it is being launched.
    if (it != h.described.end()) {
      if (!IsLive(it->second.state)) continue;
      if (it->second.TagValue(kTagReleased).has_value()) continue;  // lowered for already
    }
    const double w = WeightOf(weights, m.instance_type);
    const bool on_demand = m.spot_instance_request_id.empty();
    h.units += w;
    if (on_demand) h.on_demand_units += w;
    if (released.count(m.instance_id) != 0) {
      h.released_units += w;
      if (on_demand) h.released_on_demand_units += w;
      h.releasing_live.push_back(m.instance_id);
    }
  }
  return h;
}

}  // namespace

std::map<std::string, double, std::less<>> SpotFleetWeights(const std::vector<ec2::Tag>& tags) {
  std::map<std::string, double, std::less<>> out;
  for (const ec2::Tag& t : tags) {
    if (!t.key.starts_with(kTagWeightPrefix)) continue;
    double w = 0;
    const char* end = t.value.data() + t.value.size();
    const std::from_chars_result r = std::from_chars(t.value.data(), end, w);
    if (r.ec != std::errc() || r.ptr != end || !(w > 0) || !std::isfinite(w)) continue;
    out[t.key.substr(kTagWeightPrefix.size())] = w;
  }
  return out;
}

int SpotFleetTargetAfterRelease(int target, double live_units, double released_units) {
  const double still_to_launch = std::max(0.0, static_cast<double>(target) - live_units);
  const double kept = std::max(0.0, live_units - released_units) + still_to_launch;
  const double rounded = std::floor(kept + kUnitSlack);
  return std::clamp(static_cast<int>(std::min(rounded, static_cast<double>(target))), 0,
                    std::max(0, target));
}

// ---- Launch ----

Result<AwsLaunchOutcome> SpotFleetHandler::Launch(const AwsLaunchSpec& spec) {
  Result<RequestLaunchTemplate> lt = EnsureRequestLaunchTemplate(client_, spec);
  if (!lt.ok()) return lt.error();
  AwsLaunchOutcome out;
  if (lt->owned) out.launch_template_id = lt->id;

  Result<std::string> id =
      ec2::RequestSpotFleet(client_, SpotFleetRequestFor(spec, *lt, clock_.SystemNow()));
  if (id.ok()) {
    out.resource_id = *id;
  } else if (id.error().kind() == ErrorKind::kIdempotencyMismatch) {
    // The token launched a fleet already (with another ValidUntil, say): that fleet is the
    // request's. Found by its tag; if not visible yet, the outcome is unknown, not refused.
    Result<std::optional<SpotFleetRequestDescription>> found =
        FindTaggedFleet(client_, spec.request_id);
    if (!found.ok() || !found->has_value()) {
      return Error(
          ErrorKind::kTransient, "SpotFleetNotVisibleYet",
          "ClientToken " + spec.client_token +
              " launched a Spot Fleet request already, not visible yet: " + id.error().ToString() +
              (found.ok() ? std::string() : "; " + found.error().ToString()));
    }
    out.resource_id = (*found)->spot_fleet_request_id;
  } else {
    if (lt->owned && LaunchTemplateNoLongerNeeded(id.error())) {
      model::Request request;
      request.id = spec.request_id;
      request.created.launch_template_id = lt->id;
      (void)DeleteRequestLaunchTemplate(client_, request);  // best effort; tagged, so findable
    }
    return id.error();
  }

  // The instances already there (AWS launches asynchronously: usually none yet). The fleet exists
  // now, so a failure to read them is not a failure of the launch: Observe() finds them.
  Result<std::vector<ec2::SpotFleetInstance>> active =
      ec2::DescribeSpotFleetInstances(client_, out.resource_id);
  if (active.ok() && !active->empty()) {
    std::vector<std::string> ids;
    for (const ec2::SpotFleetInstance& i : *active) ids.push_back(i.instance_id);
    Result<std::vector<ec2::Instance>> full = DescribeByIds(client_, ids);
    if (full.ok()) {
      (void)TagUntagged(client_, *full, spec.request_id, spec.tags);  // retried by Observe()
      out.instances = std::move(*full);
    }
  }
  return out;
}

// ---- Observe ----

Result<std::optional<SpotFleetRequestDescription>> SpotFleetHandler::FindFleet(
    const model::Request& request) {
  if (!request.created.resource_id.empty()) {
    return ec2::FindSpotFleetRequest(client_, request.created.resource_id);
  }
  return FindTaggedFleet(client_, request.id);
}

namespace {

// Adds to `seen` the fleet's `members` that do not carry the request's tag yet, tagging them on
// the way (best effort: an instance left untagged now is tagged on the next poll).
Status AddUntaggedMembers(aws::AwsClient& client, const model::Request& request,
                          const std::optional<SpotFleetRequestDescription>& fleet,
                          const std::vector<ec2::SpotFleetInstance>& members,
                          AwsObservation& seen) {
  std::vector<std::string> untagged;
  for (const ec2::SpotFleetInstance& m : members) {
    if (std::none_of(seen.instances.begin(), seen.instances.end(),
                     [&](const ec2::Instance& i) { return i.instance_id == m.instance_id; })) {
      untagged.push_back(m.instance_id);
    }
  }
  if (untagged.empty()) return resilience::OkStatus();
  Result<std::vector<ec2::Instance>> more = DescribeByIds(client, untagged);
  if (!more.ok()) return more.error();
  const std::vector<ec2::Tag> tags =
      InstanceTagsFrom(request, fleet.has_value() ? fleet->tags : std::vector<ec2::Tag>{});
  (void)TagUntagged(client, *more, request.id, tags);
  seen.instances.insert(seen.instances.end(), std::make_move_iterator(more->begin()),
                        std::make_move_iterator(more->end()));
  return resilience::OkStatus();
}

// The history's distinct error and information events (e.g. spotInstanceCountLimitExceeded,
// launchSpecUnusable "Spot price too low"), the last kMaxHistoryMessages of them.
std::vector<std::string> HistoryMessages(const ec2::SpotFleetHistory& history) {
  std::vector<std::string> messages;
  for (const ec2::SpotFleetHistoryRecord& e : history.records) {
    if (e.event_type != ec2::SpotFleetEventType::kError &&
        e.event_type != ec2::SpotFleetEventType::kInformation) {
      continue;
    }
    std::string text = "Spot Fleet " + std::string(ec2::WireName(e.event_type)) + " " +
                       e.event_sub_type +
                       (e.event_description.empty() ? "" : ": " + e.event_description);
    if (std::find(messages.begin(), messages.end(), text) == messages.end()) {
      messages.push_back(std::move(text));
    }
  }
  const std::size_t skip =
      messages.size() > kMaxHistoryMessages ? messages.size() - kMaxHistoryMessages : 0;
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(skip));
  return messages;
}

// Whether the fleet `f` is still fulfilling; why it falls short (an end, an activity error, the
// history's events since `created`) into seen.errors.
void ObserveFleetState(aws::AwsClient& client, const SpotFleetRequestDescription& f, SysTime now,
                       SysTime created, AwsObservation& seen) {
  const bool short_of_target =
      f.fulfilled_capacity + kUnitSlack < static_cast<double>(f.target_capacity);
  const bool ended = IsCancelledOrFailed(f.state);
  seen.fulfilling = short_of_target && !ended;
  const bool activity_error = f.activity_status == ec2::SpotFleetActivityStatus::kError;
  if (ended && short_of_target) {
    std::string why = "Spot Fleet request " + f.spot_fleet_request_id + " is " +
                      std::string(ec2::WireName(f.state)) + " with " +
                      base::FormatNumber(f.fulfilled_capacity) + " of " +
                      std::to_string(f.target_capacity) + " units";
    if (f.valid_until && *f.valid_until <= now) {
      why += ": it expired at " + base::FormatIso8601(*f.valid_until) + " (spotFleetRequestExpiry)";
    }
    seen.errors.push_back(std::move(why));
  }
  if (activity_error) {
    seen.errors.push_back("Spot Fleet request " + f.spot_fleet_request_id +
                          " reports activity status error");
  }
  if (!short_of_target && !activity_error) return;
  Result<ec2::SpotFleetHistory> history = ec2::DescribeSpotFleetRequestHistory(
      client, {.spot_fleet_request_id = f.spot_fleet_request_id, .start_time = created});
  if (!history.ok()) {
    seen.errors.push_back("the Spot Fleet request's history could not be read: " +
                          history.error().ToString());
    return;
  }
  std::vector<std::string> messages = HistoryMessages(*history);
  seen.errors.insert(seen.errors.end(), std::make_move_iterator(messages.begin()),
                     std::make_move_iterator(messages.end()));
}

// The running instances' capacity units by the fleet's weights; nullopt for an unweighted fleet.
std::optional<double> RunningCapacity(const SpotFleetRequestDescription& f,
                                      const std::vector<ec2::Instance>& instances) {
  const std::map<std::string, double, std::less<>> weights = SpotFleetWeights(f.tags);
  if (weights.empty()) return std::nullopt;
  double running = 0;
  for (const ec2::Instance& i : instances) {
    if (i.state == "running") running += WeightOf(weights, i.instance_type);
  }
  return running;
}

}  // namespace

Result<AwsObservation> SpotFleetHandler::Observe(const model::Request& request) {
  Result<std::optional<SpotFleetRequestDescription>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  AwsObservation seen;
  seen.launch_template_id = request.created.launch_template_id;
  if (request.created.resource_id.empty() && request.created.launch_template_id.empty()) {
    // Settling a launch whose answer was lost: report the launch template too, for adoption.
    Result<std::string> lt = FindRequestLaunchTemplate(client_, request.id);
    if (!lt.ok()) return lt.error();
    seen.launch_template_id = *lt;
  }

  std::vector<ec2::SpotFleetInstance> members;
  if (fleet->has_value()) {
    seen.resource_id = (*fleet)->spot_fleet_request_id;
    Result<std::vector<ec2::SpotFleetInstance>> active =
        ec2::DescribeSpotFleetInstances(client_, seen.resource_id);
    if (!active.ok() && active.error().kind() != ErrorKind::kNotFound) return active.error();
    if (active.ok()) members = std::move(*active);
  }

  Result<std::vector<ec2::Instance>> tagged = InstancesTaggedWith(client_, request.id);
  if (!tagged.ok()) return tagged.error();
  seen.instances = std::move(*tagged);
  if (Status added = AddUntaggedMembers(client_, request, *fleet, members, seen); !added.ok()) {
    return added.error();
  }

  const SysTime now = clock_.SystemNow();
  if (!fleet->has_value()) {
    if (!request.created.resource_id.empty()) {
      if (now - request.created_at < kFleetVisibilityGrace) {
        seen.fulfilling = true;  // just created: EC2 may not list it yet
      } else {
        seen.errors.push_back("Spot Fleet request " + request.created.resource_id +
                              " no longer exists");
      }
    }
    return seen;
  }
  ObserveFleetState(client_, **fleet, now, request.created_at, seen);
  seen.running_capacity = RunningCapacity(**fleet, seen.instances);
  return seen;
}

// ---- Release, Shrink, Cleanup ----

Status SpotFleetHandler::LowerTarget(const SpotFleetRequestDescription& fleet, int new_target,
                                     std::optional<int> new_on_demand_target) {
  Status s = ec2::ModifySpotFleetRequest(
      client_, {.spot_fleet_request_id = fleet.spot_fleet_request_id,
                .target_capacity = new_target,
                .on_demand_target_capacity = new_on_demand_target,
                .excess_capacity_termination_policy =
                    ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination});
  if (!s.ok() && s.error().kind() != ErrorKind::kNotFound) return s;
  return resilience::OkStatus();  // a fleet gone replaces nothing
}

Status SpotFleetHandler::Release(const model::Request& request,
                                 const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) return resilience::OkStatus();
  Result<std::optional<SpotFleetRequestDescription>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  // A fleet gone or cancelled launches nothing more; a request fleet never replaces capacity (and
  // AWS modifies only maintain fleets).
  if (!fleet->has_value() || IsCancelledOrFailed((*fleet)->state) ||
      (*fleet)->type == SpotFleetType::kRequest) {
    return TerminateExactly(client_, instance_ids);
  }
  const SpotFleetRequestDescription& f = **fleet;
  Result<Holding> held = HoldingOf(client_, f, instance_ids);
  if (!held.ok()) return held.error();
  if (!held->releasing_live.empty()) {
    const int target =
        SpotFleetTargetAfterRelease(f.target_capacity, held->units, held->released_units);
    std::optional<int> on_demand_target;
    if (f.on_demand_target_capacity > 0) {
      on_demand_target = std::min(
          target, SpotFleetTargetAfterRelease(f.on_demand_target_capacity, held->on_demand_units,
                                              held->released_on_demand_units));
    }
    if (target != f.target_capacity ||
        (on_demand_target && *on_demand_target != f.on_demand_target_capacity)) {
      if (Status s = LowerTarget(f, target, on_demand_target); !s.ok()) return s;
    }
    // Best effort: without the mark, a repeated Release of a fleet still short of its target
    // could lower it twice (never below what it holds, never terminating anything).
    (void)ec2::CreateTags(client_, held->releasing_live, {{std::string(kTagReleased), "true"}});
  }
  // Exactly the ids asked for, those EC2 still knows.
  std::vector<std::string> ids;
  for (const std::string& id : instance_ids) {
    auto it = held->described.find(id);
    if (it != held->described.end() && !IsTerminated(it->second.state)) ids.push_back(id);
  }
  return TerminateExactly(client_, ids);
}

Status SpotFleetHandler::Shrink(const model::Request& request, int keep) {
  Result<std::optional<SpotFleetRequestDescription>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  if (!fleet->has_value() && !request.created.resource_id.empty()) {
    // Just created and not listed yet, it may still launch: not stopped yet, try again.
    const SysTime created = request.created_at;
    if (clock_.SystemNow() - created < kFleetVisibilityGrace) {
      return Error(ErrorKind::kTransient, "SpotFleetNotVisibleYet",
                   "Spot Fleet request " + request.created.resource_id +
                       " is not listed yet; it cannot be lowered");
    }
  }
  if (keep <= 0) {
    // Nothing to keep: the request ends without a machine, so none will ever be returned to
    // trigger the cleanup. Cancel the fleet and delete ohfp's launch template now.
    return Cleanup(request);
  }
  if (!fleet->has_value() || IsCancelledOrFailed((*fleet)->state)) return resilience::OkStatus();
  const SpotFleetRequestDescription& f = **fleet;
  if (f.type == SpotFleetType::kRequest) {
    // AWS cannot modify a request fleet: cancelling it (its instances keep running) is what stops
    // it launching more.
    Result<ec2::CancelSpotFleetRequestsResult> cancelled = ec2::CancelSpotFleetRequests(
        client_,
        {.spot_fleet_request_ids = {f.spot_fleet_request_id}, .terminate_instances = false});
    if (!cancelled.ok() && cancelled.error().kind() != ErrorKind::kNotFound) {
      return cancelled.error();
    }
    return resilience::OkStatus();
  }
  // Unweighted, `keep` instances are `keep` units; weighted, count the units the fleet holds.
  const bool weighted = !SpotFleetWeights(f.tags).empty();
  Holding held;
  if (weighted || f.on_demand_target_capacity > 0) {
    Result<Holding> h = HoldingOf(client_, f, {});
    if (!h.ok()) return h.error();
    held = std::move(*h);
  }
  const int kept_units =
      weighted ? static_cast<int>(std::floor(held.units + kUnitSlack)) : std::max(0, keep);
  const int target = std::clamp(kept_units, 0, std::max(0, f.target_capacity));
  std::optional<int> on_demand_target;
  if (f.on_demand_target_capacity > 0) {
    on_demand_target =
        std::min({f.on_demand_target_capacity,
                  static_cast<int>(std::floor(held.on_demand_units + kUnitSlack)), target});
  }
  if (target == f.target_capacity &&
      (!on_demand_target || *on_demand_target == f.on_demand_target_capacity)) {
    return resilience::OkStatus();
  }
  return LowerTarget(f, target, on_demand_target);
}

Status SpotFleetHandler::Cleanup(const model::Request& request) {
  Result<std::optional<SpotFleetRequestDescription>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  if (fleet->has_value()) {
    const SpotFleetRequestDescription& f = **fleet;
    const std::string& id = f.spot_fleet_request_id;
    if (!IsCancelledOrFailed(f.state)) {
      // Without its instances, then those instances below (once cancelled the fleet replaces
      // nothing): the same end as TerminateInstances=true, which moto refuses
      // (InvalidParameterCombination "No instances specified") for a fleet with none left.
      Result<ec2::CancelSpotFleetRequestsResult> cancelled = ec2::CancelSpotFleetRequests(
          client_, {.spot_fleet_request_ids = {id}, .terminate_instances = false});
      if (!cancelled.ok() && cancelled.error().kind() != ErrorKind::kNotFound) {
        return cancelled.error();
      }
      if (cancelled.ok() && !cancelled->unsuccessful.empty()) {
        // Not cancelled: fine if it is gone or cancelled by now, an error otherwise.
        Result<std::optional<SpotFleetRequestDescription>> again =
            ec2::FindSpotFleetRequest(client_, id);
        if (!again.ok()) return again.error();
        if (again->has_value() && !IsCancelledOrFailed((*again)->state)) {
          return cancelled->unsuccessful.front().error;
        }
      }
    }
    if (!IsCancelledOrFailed(f.state) || f.state == SpotFleetState::kCancelledRunning) {
      // Cleanup runs once the request holds no machine, so whatever the fleet still runs is no
      // machine HostFactory has: a maintain fleet's replacement (untagged when launched from the
      // user's launchTemplateId, so housekeeping could never find it), or what a fleet cancelled
      // earlier without its instances (expired, or a request fleet stopped by Shrink) kept.
      Result<Holding> held = HoldingOf(client_, f, {});
      if (!held.ok()) return held.error();
      std::vector<std::string> live;
      for (const auto& [instance_id, instance] : held->described) {
        if (IsLive(instance.state)) live.push_back(instance_id);
      }
      if (Status s = TerminateExactly(client_, live); !s.ok()) return s;
    }
  }
  return DeleteRequestLaunchTemplate(client_, request);
}

}  // namespace ohfp::provider
