// model/installation.h
//
// An installation's identity, and what a command may do with the state store it finds. ohfp
// creates the identity once, keeps it in the state store and in a marker file beside it in the
// work directory, and tags everything it creates with it (kTagInstallation), so that two
// installations on one account, even with the same HF_PROVIDER_NAME, never touch each other's
// resources, and so that a lost or replaced store is recognised instead of being taken for an
// empty one:
//
//   store id  marker  standing      what happens
//   S         S       kEstablished  carry on
//   S         -       kEstablished  carry on (the marker is written again)
//   S         M != S  kForeign      refuse: the store belongs to another installation
//   -         M       kLost         the store is new but this work directory had installation M:
//                                   refuse while the cloud holds resources of M (restore the
//                                   store, or `ohfp reconcile --adopt`); carry on as M otherwise
//   -         -       kNew          a new installation: create an identity
//
// Thread-safety: stateless functions over values.
//
// Example:
//   StoreStanding s = JudgeStore(store_id, marker_id);
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ohfp::model {

enum class StoreStanding { kEstablished, kNew, kLost, kForeign };
std::string_view StoreStandingName(StoreStanding standing) noexcept;

StoreStanding JudgeStore(const std::optional<std::string>& store_id,
                         const std::optional<std::string>& marker_id);

}  // namespace ohfp::model
