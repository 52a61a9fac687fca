// config/templates_file.h
//
// Reading HostFactory's templates file into model::TemplateSet: awsprov_templates.json in the
// configuration directory, {"templates": [ ... ]}, with the IBM AWS plugin's fields and the Open
// Host Factory Plugin's providerApi and fleetType:
//
//   templateId (required, <= 64 chars of [A-Za-z0-9_-], unique), maxNumber (-1: unlimited),
//   attributes ({"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"],
//               "nram": ["Numeric", "4096"], ...}),
//   imageId, subnetId (a string or a list), vmType or vmTypes ({"c5.large": 1, "c5.xlarge": 2}:
//   type -> weight), priceType (ondemand | spot | heterogeneous), maxSpotPrice, keyName,
//   securityGroupIds, instanceTags ("k=v;k2=v2"), instanceProfile, userDataScript (a file whose
//   content becomes the user data), rootDeviceVolumeSize, volumeType, fleetRole,
//   allocationStrategy, spotFleetRequestExpiry (minutes), percentOnDemand, launchTemplateId,
//   providerApi (RunInstances | EC2Fleet | SpotFleet | ASG), fleetType (instant | request |
//   maintain).
//
// Validation rejects every invalid value and combination, all at once, with a message naming the
// template and the field:
//   "templates[1] (OnDemand-C5).vmTypes: RunInstances launches one instance type; use vmType"
//
// Thread-safety: stateless functions.
//
// Example:
//   Result<model::TemplateSet> set = LoadTemplates(confdir / "awsprov_templates.json");
//   const model::Template* t = set->Find("OnDemand-C5");
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/template.h"
#include "ohfp/resilience/config.h"
#include "ohfp/resilience/result.h"

namespace ohfp::config {

// Reads {"templates": [...]}. Problems are appended with paths like "templates[2]
// (Spot-C5).fleetRole". `ordered`, when given, is the same document with keys in file order (the
// order of attributes and of vmTypes, which is the instance types' priority).
model::TemplateSet ReadTemplates(const nlohmann::json& value,
                                 std::vector<resilience::ConfigProblem>& problems,
                                 const nlohmann::ordered_json* ordered = nullptr);

// Reads and validates the file. A missing file is an error (HostFactory cannot work without
// templates).
[[nodiscard]] resilience::Result<model::TemplateSet> LoadTemplates(
    const std::filesystem::path& file);

}  // namespace ohfp::config
