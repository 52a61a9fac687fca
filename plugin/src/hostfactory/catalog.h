// hostfactory/catalog.h
//
// getAvailableTemplates: the templates with availableNumber from maxNumber and the machines held,
// and every template complete: HostFactory schedules on ncpus and nram, so a template that does
// not give them gets them (and ncores) from DescribeInstanceTypes for its instance type (the first
// of vmTypes), cached in the store. IBM's definitions, which ohfp follows (docs/configuration.md):
//
//   ncpus   the CPUs HostFactory may schedule on, hyperthreads not counted: VCpuInfo.DefaultCores
//           (IBM: "define the ncpus to be half of the vCPU value" on hyperthreaded types)
//   ncores  cores per CPU socket; EC2 reports no sockets, so an instance is one socket:
//           VCpuInfo.DefaultCores
//   nram    MB of memory: MemoryInfo.SizeInMiB
//
// A template whose ncpus or nram can be found nowhere (an unknown instance type, a failed
// DescribeInstanceTypes) is left out of the list, named in the message with the reason, and the
// command exits 1: HostFactory must not schedule on a template it cannot size.
//
// Thread-safety: one per command process.
//
// Example:
//   CommandResult r = Catalog(ctx).GetAvailableTemplates();
#pragma once

#include <map>
#include <string>

#include "hostfactory/command_context.h"

namespace ohfp::hostfactory {

class Catalog {
 public:
  explicit Catalog(CommandContext& ctx) : ctx_(ctx) {}
  CommandResult GetAvailableTemplates();

 private:
  // The instance types of templates that lack ncpus or nram, from the store's cache, else the
  // cloud; `unknown` receives, for each type that could not be read, why.
  std::map<std::string, model::InstanceType> InstanceTypes(
      std::map<std::string, std::string>& unknown);
  // Types the cloud describes, one call for all; when that call is refused (an unknown type fails
  // it), one call per type, so that one bad type does not hide the others.
  void Describe(const std::vector<std::string>& types,
                std::map<std::string, model::InstanceType>& found,
                std::map<std::string, std::string>& unknown);

  CommandContext& ctx_;
};

}  // namespace ohfp::hostfactory
