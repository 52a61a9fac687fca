// hostfactory/machine_resolver.h
//
// Which instance each machine of requestReturnMachines and getReturnRequests means. IBM's
// specification makes the host name ("name") the only field HostFactory must send for a machine;
// HostFactory's own inputs add the instance id ("machineId"). An entry is resolved:
//   - by its machineId when it has one (a name shaped like an instance id counts as one);
//   - else by its name, compared ignoring case: first the store's machines (their host name, the
//     private DNS name ohfp reported), the newest live one when several had that name over time;
//     then the cloud: the instances whose private DNS name or private IPv4 address is the name,
//     of this installation only (IsOurs). Several live instances of this installation answering
//     to one name are ambiguous: the entry then resolves to none.
// A name that matches nothing of this installation stays unresolved, with the reason; the commands
// report it and never act on it (issue 9: "not found" is never "gone", and nothing but this
// installation's instances is ever terminated).
//
// An entry with both a name and a machineId disagrees (Disagreement()) when what the store or the
// cloud says about that instance is known and the name is none of it: not its private DNS name
// (nor that name's first label), not its private IP address, not its id. Both commands refuse
// such an input, naming the entry, and change nothing.
//
// Thread-safety: one per command process.
//
// Example:
//   Result<std::vector<ResolvedMachine>> r = ResolveMachines(ctx, refs);
//   for (const ResolvedMachine& m : *r) {
//     if (!m.resolved()) Report(m.given.name, m.problem);
//   }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hostfactory/command_context.h"
#include "hostfactory/contract.h"
#include "model/instance.h"
#include "model/machine.h"

namespace ohfp::hostfactory {

struct ResolvedMachine {
  MachineRef given{};                      // as HostFactory sent it
  std::string instance_id{};               // empty: nothing of this installation matches
  std::optional<model::Machine> stored{};  // the store's record of the instance, if any
  std::optional<model::Instance> seen{};   // the instance the cloud showed for the name, if asked
  std::string problem{};                   // why it did not resolve

  bool resolved() const noexcept { return !instance_id.empty(); }
  // The name HostFactory knows the machine by: the one it gave, else the store's, else the
  // cloud's private DNS name, else the instance id.
  std::string HostName() const;
};

// Whether an instance is this installation's: tagged with its identity, or (made before
// identities existed) with this provider's name and no identity.
bool IsOurs(const CommandContext& ctx, const model::Instance& i);

// Every entry of `refs`, in order, resolved; entries that resolve to an instance met earlier are
// dropped, as are repeated unresolved names. An error when the store cannot be read or the cloud
// cannot be asked (the message says which).
resilience::Result<std::vector<ResolvedMachine>> ResolveMachines(
    CommandContext& ctx, const std::vector<MachineRef>& refs);

// Entries for machines taken from the store (getReturnRequests without a list).
std::vector<ResolvedMachine> FromStore(std::vector<model::Machine> machines);

// "" when the entry's name agrees with what is known of its instance (`m.stored`, and `seen`:
// what the cloud showed for it, or null), or when nothing is known, or the entry has no name or
// no machineId. Otherwise the reason, naming the entry.
std::string Disagreement(const ResolvedMachine& m, const model::Instance* seen);

}  // namespace ohfp::hostfactory
