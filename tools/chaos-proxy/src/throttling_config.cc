#include "ohfp/chaos_proxy/throttling_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "enum_names.h"
#include "json_validator.h"
#include "ohfp/chaos_proxy/rules.h"

namespace ohfp::chaos_proxy {
namespace {

using internal::Contains;
using internal::JoinNames;
using internal::Quoted;
using nlohmann::json;

// Source: "Request throttling for the Amazon EC2 API", Amazon EC2 Developer Guide,
// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, sections "Request token
// bucket sizes and refill rates" and "Resource token bucket sizes and refill rates". The README
// reproduces these tables.

constexpr std::array<std::string_view, 7> kCategoryNames = {
    "non-mutating",         "unfiltered-non-mutating", "mutating",   "resource-intensive",
    "console-non-mutating", "uncategorized",           "autoscaling"};
constexpr std::array<std::string_view, 3> kBucketKindNames = {"request", "unfiltered", "resource"};

constexpr std::array<std::string_view, 7> kUnfilteredActions = {
    "DescribeInstances",      "DescribeInstanceStatus", "DescribeNetworkInterfaces",
    "DescribeSecurityGroups", "DescribeSnapshots",      "DescribeSpotInstanceRequests",
    "DescribeVolumes"};

constexpr std::array<std::string_view, 9> kResourceIntensiveActions = {
    "AcceptVpcPeeringConnection", "AuthorizeSecurityGroupIngress",
    "CancelSpotInstanceRequests", "CreateKeyPair",
    "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
    "RejectVpcPeeringConnection", "RevokeSecurityGroupIngress",
    "RequestSpotInstances"};

// clang-format off
constexpr PublishedLimit kUncategorized[] = {
    {"AcceptVpcEndpointConnections", {10, 1}},
    {"AdvertiseByoipCidr", {1, 0.1}},
    {"AssignIpv6Addresses", {100, 5}},
    {"AssignPrivateIpAddresses", {100, 5}},
    {"AssignPrivateNatGatewayAddress", {10, 1}},
    {"AssociateCapacityReservationBillingOwner", {1, 0.5}},
    {"AssociateEnclaveCertificateIamRole", {10, 1}},
    {"AssociateIamInstanceProfile", {100, 5}},
    {"AssociateNatGatewayAddress", {10, 1}},
    {"AttachVerifiedAccessTrustProvider", {10, 2}},
    {"AuthorizeClientVpnIngress", {5, 2}},
    {"CancelDeclarativePoliciesReport", {1, 1}},
    {"CopyImage", {100, 1}},
    {"CreateClientVpnRoute", {5, 2}},
    {"CreateCoipCidr", {5, 1}},
    {"CreateCoipPool", {5, 1}},
    {"CreateDefaultSubnet", {1, 1}},
    {"CreateDefaultVpc", {1, 1}},
    {"CreateLaunchTemplateVersion", {100, 5}},
    {"CreateNatGateway", {10, 1}},
    {"CreateNetworkInterface", {100, 5}},
    {"CreateRestoreImageTask", {50, 0.1}},
    {"CreateSnapshot", {100, 5}},
    {"CreateSnapshots", {100, 5}},
    {"CreateSpotDatafeedSubscription", {50, 3}},
    {"CreateStoreImageTask", {50, 0.1}},
    {"CreateSubnetCidrReservation", {5, 1}},
    {"CreateTags", {100, 10}},
    {"CreateVerifiedAccessEndpoint", {20, 4}},
    {"CreateVerifiedAccessGroup", {10, 2}},
    {"CreateVerifiedAccessInstance", {10, 2}},
    {"CreateVerifiedAccessTrustProvider", {10, 2}},
    {"CreateVolume", {100, 5}},
    {"CreateVpcEndpoint", {4, 0.3}},
    {"CreateVpcEndpointServiceConfiguration", {10, 1}},
    {"DeleteClientVpnRoute", {5, 2}},
    {"DeleteCoipCidr", {5, 1}},
    {"DeleteCoipPool", {5, 1}},
    {"DeleteCoipPoolPermission", {5, 1}},
    {"DeleteNatGateway", {10, 1}},
    {"DeleteNetworkInterface", {100, 5}},
    {"DeleteSnapshot", {100, 5}},
    {"DeleteSpotDatafeedSubscription", {50, 3}},
    {"DeleteSubnetCidrReservation", {5, 1}},
    {"DeleteQueuedReservedInstances", {5, 5}},
    {"DeleteTags", {100, 10}},
    {"DeleteVerifiedAccessEndpoint", {20, 4}},
    {"DeleteVerifiedAccessGroup", {10, 2}},
    {"DeleteVerifiedAccessInstance", {10, 2}},
    {"DeleteVerifiedAccessTrustProvider", {10, 2}},
    {"DeleteVolume", {100, 5}},
    {"DeleteVpcEndpoints", {4, 0.3}},
    {"DeleteVpcEndpointServiceConfigurations", {10, 1}},
    {"DeprovisionByoipCidr", {1, 0.1}},
    {"DeregisterImage", {100, 5}},
    {"DescribeAggregateIdFormat", {10, 10}},
    {"DescribeByoipCidrs", {1, 0.5}},
    {"DescribeCapacityBlockExtensionOfferings", {10, 0.15}},
    {"DescribeCapacityBlockOfferings", {10, 0.15}},
    {"DescribeDeclarativePoliciesReports", {5, 5}},
    {"DescribeHostReservations", {5, 2}},
    {"DescribeHostReservationOfferings", {5, 2}},
    {"DescribeIdentityIdFormat", {10, 10}},
    {"DescribeIdFormat", {10, 10}},
    {"DescribeInstanceTopology", {1, 1}},
    {"DescribeMovingAddresses", {1, 1}},
    {"DescribePrincipalIdFormat", {10, 10}},
    {"DescribeReservedInstancesOfferings", {10, 10}},
    {"DescribeSecurityGroupReferences", {20, 5}},
    {"DescribeSpotDatafeedSubscription", {100, 13}},
    {"DescribeSpotFleetInstances", {100, 5}},
    {"DescribeSpotFleetRequestHistory", {100, 5}},
    {"DescribeSpotFleetRequests", {50, 3}},
    {"DescribeStaleSecurityGroups", {20, 5}},
    {"DescribeStoreImageTasks", {50, 0.5}},
    {"DescribeVerifiedAccessInstanceLoggingConfigurations", {10, 2}},
    {"DetachVerifiedAccessTrustProvider", {10, 2}},
    {"DisableFastLaunch", {5, 2}},
    {"DisableImageBlockPublicAccess", {1, 0.1}},
    {"DisableSnapshotBlockPublicAccess", {1, 0.1}},
    {"DisassociateCapacityReservationBillingOwner", {1, 0.5}},
    {"DisassociateEnclaveCertificateIamRole", {10, 1}},
    {"DisassociateIamInstanceProfile", {100, 5}},
    {"DisassociateNatGatewayAddress", {10, 1}},
    {"EnableFastLaunch", {5, 2}},
    {"EnableImageBlockPublicAccess", {1, 0.1}},
    {"EnableSnapshotBlockPublicAccess", {1, 0.1}},
    {"GetAssociatedEnclaveCertificateIamRoles", {10, 1}},
    {"GetDeclarativePoliciesReportSummary", {5, 5}},
    {"GetHostReservationPurchasePreview", {5, 2}},
    {"ModifyImageAttribute", {100, 5}},
    {"ModifyInstanceMetadataDefaults", {2, 2}},
    {"ModifyInstanceMetadataOptions", {100, 5}},
    {"ModifyLaunchTemplate", {100, 5}},
    {"ModifyNetworkInterfaceAttribute", {100, 5}},
    {"ModifySnapshotAttribute", {100, 5}},
    {"ModifyVerifiedAccessEndpoint", {20, 4}},
    {"ModifyVerifiedAccessEndpointPolicy", {20, 4}},
    {"ModifyVerifiedAccessGroup", {10, 2}},
    {"ModifyVerifiedAccessGroupPolicy", {20, 4}},
    {"ModifyVerifiedAccessInstance", {10, 2}},
    {"ModifyVerifiedAccessInstanceLoggingConfiguration", {10, 2}},
    {"ModifyVerifiedAccessTrustProvider", {10, 2}},
    {"ModifyVpcEndpoint", {4, 0.3}},
    {"ModifyVpcEndpointServiceConfiguration", {10, 1}},
    {"MoveAddressToVpc", {1, 1}},
    {"ProvisionByoipCidr", {1, 0.1}},
    {"PurchaseCapacityBlock", {10, 0.15}},
    {"PurchaseCapacityBlockExtension", {10, 0.15}},
    {"PurchaseHostReservation", {5, 2}},
    {"PurchaseReservedInstancesOffering", {5, 5}},
    {"RejectVpcEndpointConnections", {10, 1}},
    {"RestoreAddressToClassic", {1, 1}},
    {"RevokeClientVpnIngress", {5, 2}},
    {"RunInstances", {5, 2}},
    {"StartDeclarativePoliciesReport", {1, 1}},
    {"StartInstances", {5, 2}},
    {"TerminateInstances", {100, 5}},
    {"UnassignPrivateIpAddresses", {100, 5}},
    {"UnassignPrivateNatGatewayAddress", {10, 1}},
    {"WithdrawByoipCidr", {1, 0.1}},
};

constexpr PublishedLimit kResource[] = {
    {"RunInstances", {1000, 2}},
    {"TerminateInstances", {1000, 20}},
    {"StartInstances", {1000, 2}},
    {"StopInstances", {1000, 20}},
};
// clang-format on

constexpr std::int64_t kMaxCapacity = 1'000'000'000;
constexpr double kMaxRate = 1e9;
constexpr double kMaxScale = 1000;

const PublishedLimit* Find(std::span<const PublishedLimit> table, std::string_view action) {
  const auto it = std::find_if(table.begin(), table.end(),
                               [action](const PublishedLimit& l) { return l.action == action; });
  return it == table.end() ? nullptr : &*it;
}

BucketLimits Scaled(BucketLimits published, double scale) {
  return BucketLimits{std::max(1.0, std::round(published.capacity * scale)),
                      published.refill_rate * scale};
}

BucketLimits Apply(BucketLimits limits, const BucketOverride* override_) {
  if (override_ == nullptr) return limits;
  if (override_->capacity) limits.capacity = static_cast<double>(*override_->capacity);
  if (override_->refill_rate) limits.refill_rate = *override_->refill_rate;
  return limits;
}

bool HasParamWithPrefix(const AwsRequest& request, std::string_view prefix) {
  return std::any_of(request.params.begin(), request.params.end(),
                     [prefix](const Param& p) { return p.first.starts_with(prefix); });
}

std::optional<std::uint64_t> ParamAsCount(const AwsRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.params) {
    if (key != name) continue;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && end == value.data() + value.size()) return n;
  }
  return std::nullopt;
}

std::string_view KindSuffix(BucketKind kind) {
  switch (kind) {
    case BucketKind::kRequest:
      return "";
    case BucketKind::kUnfiltered:
      return ":unfiltered";
    case BucketKind::kResource:
      return ":resource";
  }
  return "";
}

// Validation of the section.
class ThrottlingValidator : public internal::JsonValidator {
 public:
  using JsonValidator::JsonValidator;

  std::optional<BucketOverride> ParseBucket(const json& object, const std::string& path) {
    if (!ExpectType(object, json::value_t::object, path,
                    "an object with \"capacity\" and/or \"refill_rate\"")) {
      return std::nullopt;
    }
    const std::size_t before = error_count();
    CheckKeys(object, path, {"capacity", "refill_rate"});
    BucketOverride out;
    out.capacity = Integer(object, "capacity", path, false, 1, kMaxCapacity);
    out.refill_rate =
        Number(object, "refill_rate", path, 0, kMaxRate, "a number of tokens per second >= 0");
    if (error_count() == before && !object.contains("capacity") &&
        !object.contains("refill_rate")) {
      Report(path, "must set \"capacity\" (tokens) or \"refill_rate\" (tokens per second)");
    }
    if (error_count() != before) return std::nullopt;
    return out;
  }

  std::optional<ActionOverride> ParseAction(const json& object, const std::string& action,
                                            const std::string& path) {
    if (!ExpectType(object, json::value_t::object, path, "an object")) return std::nullopt;
    const std::size_t before = error_count();
    CheckKeys(object, path, {"capacity", "refill_rate", "unfiltered", "resource"});
    ActionOverride out;
    out.request.capacity = Integer(object, "capacity", path, false, 1, kMaxCapacity);
    out.request.refill_rate =
        Number(object, "refill_rate", path, 0, kMaxRate, "a number of tokens per second >= 0");
    if (const auto it = object.find("unfiltered"); it != object.end()) {
      if (!Contains(kUnfilteredActions, action)) {
        Report(path + ".unfiltered", Quoted(action) + " has no unfiltered bucket (only " +
                                         JoinNames(kUnfilteredActions) + " have one)");
      } else {
        out.unfiltered = ParseBucket(*it, path + ".unfiltered");
      }
    }
    if (const auto it = object.find("resource"); it != object.end()) {
      if (Find(kResource, action) == nullptr) {
        std::vector<std::string_view> names;
        for (const PublishedLimit& limit : kResource) names.push_back(limit.action);
        Report(path + ".resource",
               Quoted(action) + " has no resource bucket (only " + JoinNames(names) + " have one)");
      } else {
        out.resource = ParseBucket(*it, path + ".resource");
      }
    }
    if (error_count() == before && object.empty()) {
      Report(path,
             "must set \"capacity\", \"refill_rate\", \"unfiltered\" or \"resource\" (or be "
             "left out)");
    }
    if (error_count() != before) return std::nullopt;
    return out;
  }

  std::optional<ThrottlingConfig> ParseSection(const json& section, const std::string& path) {
    if (!ExpectType(section, json::value_t::object, path, "an object")) return std::nullopt;
    const std::size_t before = error_count();
    CheckKeys(section, path, {"model", "description", "scale", "categories", "actions"});
    ThrottlingConfig config;
    if (auto model = String(section, "model", path, false, false)) {
      if (*model != kPublishedModelName) {
        Report(path + ".model", "unknown model " + Quoted(*model) + " (expected \"" +
                                    std::string(kPublishedModelName) + "\")");
      }
    }
    (void)String(section, "description", path, false, false);
    if (const auto it = section.find("scale"); it != section.end()) {
      const auto scale = Number(section, "scale", path, 0, kMaxScale, "a number > 0 and <= 1000");
      if (scale && *scale <= 0) {
        Report(path + ".scale", "must be a number > 0 and <= 1000, got " + it->dump());
      } else if (scale) {
        config.scale = *scale;
      }
    }
    if (const auto it = section.find("categories"); it != section.end()) {
      const std::string categories_path = path + ".categories";
      if (ExpectType(*it, json::value_t::object, categories_path, "an object")) {
        for (const auto& [name, value] : it->items()) {
          const std::string item_path = categories_path + "." + name;
          const auto category = ThrottleCategoryFromName(name);
          if (!category) {
            std::vector<std::string_view> names;
            for (std::string_view n : kCategoryNames) {
              if (n != "uncategorized") names.push_back(n);
            }
            Report(item_path, "unknown category (expected one of: " + JoinNames(names) + ")");
          } else if (*category == ThrottleCategory::kUncategorized) {
            Report(item_path,
                   "uncategorized actions each have their own limits; override them under "
                   "\"actions\"");
          } else if (auto bucket = ParseBucket(value, item_path)) {
            config.categories[*category] = *bucket;
          }
        }
      }
    }
    if (const auto it = section.find("actions"); it != section.end()) {
      const std::string actions_path = path + ".actions";
      if (ExpectType(*it, json::value_t::object, actions_path, "an object")) {
        for (const auto& [name, value] : it->items()) {
          const std::string item_path = actions_path + "." + name;
          if (name.empty()) {
            Report(item_path, "action names must not be empty");
          } else if (auto action = ParseAction(value, name, item_path)) {
            config.actions[name] = std::move(*action);
          }
        }
      }
    }
    if (error_count() != before) return std::nullopt;
    return config;
  }
};

json BucketToJson(const BucketOverride& bucket) {
  json out = json::object();
  if (bucket.capacity) out["capacity"] = *bucket.capacity;
  if (bucket.refill_rate) out["refill_rate"] = *bucket.refill_rate;
  return out;
}

}  // namespace

std::string_view ThrottleCategoryName(ThrottleCategory category) noexcept {
  return NameOf(kCategoryNames, category);
}

std::optional<ThrottleCategory> ThrottleCategoryFromName(std::string_view name) noexcept {
  return FromName<ThrottleCategory>(kCategoryNames, name);
}

std::string_view BucketKindName(BucketKind kind) noexcept { return NameOf(kBucketKindNames, kind); }

std::optional<BucketLimits> PublishedCategoryLimits(ThrottleCategory category) noexcept {
  switch (category) {
    case ThrottleCategory::kNonMutating:
      return BucketLimits{100, 20};
    case ThrottleCategory::kUnfilteredNonMutating:
      return BucketLimits{50, 10};
    case ThrottleCategory::kMutating:
      return BucketLimits{50, 5};
    case ThrottleCategory::kResourceIntensive:
      return BucketLimits{50, 5};
    case ThrottleCategory::kConsoleNonMutating:
      return BucketLimits{100, 10};
    case ThrottleCategory::kUncategorized:
      return std::nullopt;
    case ThrottleCategory::kAutoScaling:
      // Not published: Auto Scaling documents one limit shared by all its actions, without a
      // number. The README explains the choice.
      return BucketLimits{100, 20};
  }
  return std::nullopt;
}

std::span<const PublishedLimit> PublishedUncategorizedLimits() noexcept { return kUncategorized; }
std::span<const PublishedLimit> PublishedResourceLimits() noexcept { return kResource; }
std::span<const std::string_view> ResourceIntensiveActions() noexcept {
  return kResourceIntensiveActions;
}
std::span<const std::string_view> UnfilteredNonMutatingActions() noexcept {
  return kUnfilteredActions;
}

ThrottleCategory Ec2Category(std::string_view action) noexcept {
  if (Find(kUncategorized, action) != nullptr) return ThrottleCategory::kUncategorized;
  if (internal::Contains(kResourceIntensiveActions, action)) {
    return ThrottleCategory::kResourceIntensive;
  }
  for (std::string_view prefix : {"Describe", "List", "Search", "Get"}) {
    if (action.starts_with(prefix)) return ThrottleCategory::kNonMutating;
  }
  return ThrottleCategory::kMutating;
}

bool IsUnfilteredUnpaginated(const AwsRequest& request) {
  if (!internal::Contains(kUnfilteredActions, request.action)) return false;
  return !HasParamWithPrefix(request, "Filter.") &&
         std::none_of(request.params.begin(), request.params.end(), [](const Param& p) {
           return p.first == "MaxResults" || p.first == "NextToken";
         });
}

std::uint64_t ResourceCount(const AwsRequest& request) {
  if (request.action == "RunInstances") {
    if (auto n = ParamAsCount(request, "MaxCount")) return *n;
    if (auto n = ParamAsCount(request, "MinCount")) return *n;
    return 1;
  }
  if (request.action == "TerminateInstances" || request.action == "StartInstances" ||
      request.action == "StopInstances") {
    return static_cast<std::uint64_t>(
        std::count_if(request.params.begin(), request.params.end(),
                      [](const Param& p) { return p.first.starts_with("InstanceId."); }));
  }
  return 0;
}

std::optional<RequestBuckets> BucketsFor(const ThrottlingConfig& config,
                                         const AwsRequest& request) {
  if (request.action.empty()) return std::nullopt;
  const auto category_limits = [&config](ThrottleCategory category) {
    const auto it = config.categories.find(category);
    return Apply(Scaled(*PublishedCategoryLimits(category), config.scale),
                 it == config.categories.end() ? nullptr : &it->second);
  };
  RequestBuckets out;
  if (request.service == Service::kAutoScaling) {
    out.uses.push_back(BucketUse{"autoscaling", Service::kAutoScaling, "*", BucketKind::kRequest,
                                 ThrottleCategory::kAutoScaling,
                                 category_limits(ThrottleCategory::kAutoScaling), 1});
    return out;
  }
  if (request.service != Service::kEc2) return std::nullopt;

  const auto action_it = config.actions.find(request.action);
  const ActionOverride* action_override =
      action_it == config.actions.end() ? nullptr : &action_it->second;
  const auto use = [&request](BucketKind kind, ThrottleCategory category, BucketLimits limits,
                              double cost) {
    return BucketUse{"ec2:" + request.action + std::string(KindSuffix(kind)),
                     Service::kEc2,
                     request.action,
                     kind,
                     category,
                     limits,
                     std::min(cost, limits.capacity)};
  };

  if (IsUnfilteredUnpaginated(request)) {
    const BucketOverride* o =
        action_override && action_override->unfiltered ? &*action_override->unfiltered : nullptr;
    out.uses.push_back(use(BucketKind::kUnfiltered, ThrottleCategory::kUnfilteredNonMutating,
                           Apply(category_limits(ThrottleCategory::kUnfilteredNonMutating), o), 1));
  } else {
    const ThrottleCategory category = Ec2Category(request.action);
    BucketLimits limits;
    if (category == ThrottleCategory::kUncategorized) {
      limits = Scaled(Find(kUncategorized, request.action)->limits, config.scale);
    } else {
      limits = category_limits(category);
    }
    out.uses.push_back(use(BucketKind::kRequest, category,
                           Apply(limits, action_override ? &action_override->request : nullptr),
                           1));
  }

  if (const PublishedLimit* resource = Find(kResource, request.action)) {
    out.resources = ResourceCount(request);
    if (out.resources > 0) {
      const BucketOverride* o =
          action_override && action_override->resource ? &*action_override->resource : nullptr;
      out.uses.push_back(use(BucketKind::kResource, Ec2Category(request.action),
                             Apply(Scaled(resource->limits, config.scale), o),
                             static_cast<double>(out.resources)));
    }
  }
  return out;
}

std::optional<ThrottlingConfig> ParseThrottlingSection(const json& section,
                                                       std::vector<ConfigError>& errors) {
  ThrottlingValidator validator(errors);
  return validator.ParseSection(section, "$.throttling");
}

json ThrottlingToJson(const ThrottlingConfig& config) {
  json out = {{"model", config.model}, {"scale", config.scale}};
  if (!config.categories.empty()) {
    json categories = json::object();
    for (const auto& [category, bucket] : config.categories) {
      categories[std::string(ThrottleCategoryName(category))] = BucketToJson(bucket);
    }
    out["categories"] = std::move(categories);
  }
  if (!config.actions.empty()) {
    json actions = json::object();
    for (const auto& [name, action] : config.actions) {
      json item = BucketToJson(action.request);
      if (action.unfiltered) item["unfiltered"] = BucketToJson(*action.unfiltered);
      if (action.resource) item["resource"] = BucketToJson(*action.resource);
      actions[name] = std::move(item);
    }
    out["actions"] = std::move(actions);
  }
  return out;
}

}  // namespace ohfp::chaos_proxy
