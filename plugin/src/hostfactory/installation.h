// hostfactory/installation.h
//
// The installation's identity, made sure of before a command acts (model/installation.h has the
// decision table), and the way back after a lost store:
//
// EnsureInstallation reads the identity from the store and from the marker file beside it
// (kInstallationMarker in the work directory). A new installation gets one; an established one
// carries on. A store of another installation is refused. A store that is new while the marker
// names an installation is a lost or replaced store: when the cloud holds live instances of that
// installation the command refuses, saying what was found and how to recover, because answering
// from an empty store would report HostFactory's machines as unknown; with none, the installation
// carries on under its identity.
//
// Adopt (`ohfp reconcile --adopt`) rebuilds the records of an installation's instances from their
// tags (their requests, as running requests HostFactory has asked about, and their machines),
// without terminating anything; refreshes then carry on as usual.
//
// Thread-safety: one command at a time.
//
// Example:
//   Result<std::string> id = EnsureInstallation(store, provider, {.marker = workdir / kMarker,
//   ...});
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hostfactory/command_context.h"
#include "logging/app_log.h"
#include "model/installation.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/result.h"
#include "provider/provider.h"
#include "store/request_store.h"

namespace ohfp::hostfactory {

inline constexpr std::string_view kInstallationMarker = "ohfp-installation";

struct InstallationCheck {
  std::filesystem::path marker{};  // the marker file
  model::Timestamp now{};
  // `ohfp reconcile --adopt`: a lost store is accepted (its records are about to be rebuilt).
  bool accept_lost = false;
};

// The installation's identity, or an error (kInternal "StoreForeign", "StoreLost",
// "StoreUnverifiable", or the store's or file's own) whose message tells the operator what to do.
[[nodiscard]] resilience::Result<std::string> EnsureInstallation(store::RequestStore& store,
                                                                 provider::Provider& provider,
                                                                 resilience::RandomSource& random,
                                                                 logging::AppLog& log,
                                                                 const InstallationCheck& check);

struct AdoptReport {
  std::vector<std::string> requests{};  // request ids rebuilt
  int machines = 0;                     // machines recorded
  std::vector<std::string> skipped{};   // "i-0abc: why"
};

// Records every live instance of `installation_id` whose request the store does not know.
[[nodiscard]] resilience::Result<AdoptReport> Adopt(CommandContext& ctx,
                                                    std::string_view installation_id);

}  // namespace ohfp::hostfactory
