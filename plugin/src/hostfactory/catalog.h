// hostfactory/catalog.h
//
// getAvailableTemplates: the templates with availableNumber from maxNumber and the machines held,
// and ncpus/ncores/nram from DescribeInstanceTypes (cached in the store) when a template does not
// give them.
//
// Thread-safety: one per command process.
//
// Example:
//   CommandResult r = Catalog(ctx).GetAvailableTemplates();
#pragma once

#include "hostfactory/command_context.h"

namespace ohfp::hostfactory {

class Catalog {
 public:
  explicit Catalog(CommandContext& ctx) : ctx_(ctx) {}
  CommandResult GetAvailableTemplates();

 private:
  // The instance types of templates that lack ncpus or nram, from the store's cache, else the
  // cloud; `message` says what could not be read.
  std::map<std::string, model::InstanceType> InstanceTypes(std::string& message);

  CommandContext& ctx_;
};

}  // namespace ohfp::hostfactory
