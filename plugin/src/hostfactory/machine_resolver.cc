#include "hostfactory/machine_resolver.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"
#include "model/tag.h"

namespace ohfp::hostfactory {
namespace {

using model::Instance;
using model::Machine;
using resilience::Error;
using resilience::Result;
using resilience::Status;

Error Because(std::string_view what, const Error& e) {
  return Error(e.kind(), std::string(e.code()), std::string(what) + e.ToString());
}

bool LiveMachine(const Machine& m) {
  return !model::IsGone(m.state) && m.result != model::MachineResult::kFail;
}

// Of the store's machines that had one host name over time, the one meant: the newest live one,
// else the newest.
const Machine* Meant(const std::vector<const Machine*>& candidates) {
  const Machine* best = nullptr;
  for (const Machine* m : candidates) {
    if (best == nullptr || (LiveMachine(*m) && !LiveMachine(*best)) ||
        (LiveMachine(*m) == LiveMachine(*best) && m->created_at >= best->created_at)) {
      best = m;
    }
  }
  return best;
}

bool AnswersTo(const Instance& i, const std::string& lower_name) {
  return base::AsciiLower(i.private_dns_name) == lower_name || i.private_ip == lower_name;
}

// Which of the instances answering to a name is this installation's machine, or why none is.
void ChooseInstance(const CommandContext& ctx, const std::vector<const Instance*>& answering,
                    ResolvedMachine& m) {
  std::vector<const Instance*> ours;
  std::vector<std::string> others;
  for (const Instance* i : answering) {
    if (IsOurs(ctx, *i)) {
      ours.push_back(i);
    } else {
      others.push_back(i->id);
    }
  }
  if (ours.empty()) {
    m.problem = others.empty()
                    ? "no machine of this installation has this host name (neither the state "
                      "store nor the cloud knows it); nothing was done with it"
                    : "this host name is instance " + base::Join(others, ", ") +
                          ", which this installation (" + ctx.options().provider_name +
                          ") did not create; left alone";
    return;
  }
  std::vector<const Instance*> live;
  for (const Instance* i : ours) {
    if (model::IsLive(i->state)) live.push_back(i);
  }
  if (live.size() > 1) {
    std::vector<std::string> ids;
    for (const Instance* i : live) ids.push_back(i->id);
    m.problem = "this host name is several live instances of this installation (" +
                base::Join(ids, ", ") + "); give its machineId";
    return;
  }
  const Instance* chosen = live.empty() ? ours.front() : live.front();
  for (const Instance* i : ours) {
    if (live.empty() && i->launch_time > chosen->launch_time) chosen = i;
  }
  m.instance_id = chosen->id;
  m.seen = *chosen;
}

// The names, in lower case, of the machines not resolved yet.
std::vector<std::string> UnresolvedNames(const std::vector<ResolvedMachine>& out) {
  std::set<std::string> names;
  for (const ResolvedMachine& m : out) {
    if (!m.resolved()) names.insert(base::AsciiLower(m.given.name));
  }
  return {names.begin(), names.end()};
}

Status ByStoredName(CommandContext& ctx, std::vector<ResolvedMachine>& out) {
  const std::vector<std::string> names = UnresolvedNames(out);
  if (names.empty()) return resilience::OkStatus();
  Result<std::vector<Machine>> stored = ctx.store().MachinesByNames(names);
  if (!stored.ok()) return Because("cannot read the state store: ", stored.error());
  std::map<std::string, std::vector<const Machine*>> by_name;
  for (const Machine& s : *stored) by_name[base::AsciiLower(s.name)].push_back(&s);
  for (ResolvedMachine& m : out) {
    if (m.resolved()) continue;
    auto it = by_name.find(base::AsciiLower(m.given.name));
    if (it == by_name.end()) continue;
    const Machine* meant = Meant(it->second);
    m.instance_id = meant->instance_id;
    m.stored = *meant;
  }
  return resilience::OkStatus();
}

Status ByCloudName(CommandContext& ctx, std::vector<ResolvedMachine>& out) {
  const std::vector<std::string> names = UnresolvedNames(out);
  if (names.empty()) return resilience::OkStatus();
  Result<std::vector<Instance>> found = ctx.provider().InstancesByHostName(names);
  if (!found.ok()) return Because("cannot look the machines up by host name: ", found.error());
  for (ResolvedMachine& m : out) {
    if (m.resolved()) continue;
    const std::string name = base::AsciiLower(m.given.name);
    std::vector<const Instance*> answering;
    for (const Instance& i : *found) {
      if (AnswersTo(i, name)) answering.push_back(&i);
    }
    ChooseInstance(ctx, answering, m);
  }
  return resilience::OkStatus();
}

// The store's record of every resolved instance that has none yet.
Status AttachStored(CommandContext& ctx, std::vector<ResolvedMachine>& out) {
  std::vector<std::string> ids;
  for (const ResolvedMachine& m : out) {
    if (m.resolved() && !m.stored) ids.push_back(m.instance_id);
  }
  if (ids.empty()) return resilience::OkStatus();
  Result<std::vector<Machine>> stored = ctx.store().MachinesByIds(ids);
  if (!stored.ok()) return Because("cannot read the state store: ", stored.error());
  std::map<std::string, const Machine*> by_id;
  for (const Machine& s : *stored) by_id[s.instance_id] = &s;
  for (ResolvedMachine& m : out) {
    if (!m.resolved() || m.stored) continue;
    if (auto it = by_id.find(m.instance_id); it != by_id.end()) m.stored = *it->second;
  }
  return resilience::OkStatus();
}

std::vector<ResolvedMachine> Deduplicated(std::vector<ResolvedMachine> all) {
  std::vector<ResolvedMachine> out;
  std::set<std::string> ids;
  std::set<std::string> names;
  for (ResolvedMachine& m : all) {
    const bool fresh = m.resolved() ? ids.insert(m.instance_id).second
                                    : names.insert(base::AsciiLower(m.given.name)).second;
    if (fresh) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::string ResolvedMachine::HostName() const {
  if (!given.name.empty()) return given.name;
  if (stored && !stored->name.empty()) return stored->name;
  if (seen && !seen->private_dns_name.empty()) return seen->private_dns_name;
  return instance_id.empty() ? given.machine_id : instance_id;
}

bool IsOurs(const CommandContext& ctx, const Instance& i) {
  if (!i.installation_id.empty()) return i.installation_id == ctx.installation_id();
  return model::TagValue(i.tags, model::kTagProvider) == ctx.options().provider_name;
}

Result<std::vector<ResolvedMachine>> ResolveMachines(CommandContext& ctx,
                                                     const std::vector<MachineRef>& refs) {
  std::vector<ResolvedMachine> out;
  for (const MachineRef& ref : refs) {
    ResolvedMachine m;
    m.given = ref;
    if (!ref.machine_id.empty()) {
      m.instance_id = ref.machine_id;
    } else if (model::IsInstanceId(ref.name)) {
      m.instance_id = ref.name;
    }
    out.push_back(std::move(m));
  }
  if (Status s = ByStoredName(ctx, out); !s.ok()) return s.error();
  if (Status s = ByCloudName(ctx, out); !s.ok()) return s.error();
  if (Status s = AttachStored(ctx, out); !s.ok()) return s.error();
  return Deduplicated(std::move(out));
}

std::vector<ResolvedMachine> FromStore(std::vector<Machine> machines) {
  std::vector<ResolvedMachine> out;
  for (Machine& stored : machines) {
    ResolvedMachine m;
    m.instance_id = stored.instance_id;
    m.stored = std::move(stored);
    out.push_back(std::move(m));
  }
  return out;
}

std::string Disagreement(const ResolvedMachine& m, const Instance* seen) {
  if (m.given.name.empty() || m.given.machine_id.empty()) return "";
  std::vector<std::string> known;
  if (m.stored) known.insert(known.end(), {m.stored->name, m.stored->private_ip});
  if (seen != nullptr) known.insert(known.end(), {seen->private_dns_name, seen->private_ip});
  known.erase(std::remove(known.begin(), known.end(), std::string()), known.end());
  if (known.empty()) return "";
  const std::string name = base::AsciiLower(m.given.name);
  if (name == base::AsciiLower(m.given.machine_id)) return "";
  for (const std::string& k : known) {
    const std::string lower = base::AsciiLower(k);
    if (lower == name || lower.rfind(name + ".", 0) == 0) return "";
  }
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  return "the machine named " + base::Quoted(m.given.name) + " with machineId " +
         base::Quoted(m.given.machine_id) + ": " + m.given.machine_id + " is " +
         base::Join(known, " / ") + ", not " + m.given.name;
}

}  // namespace ohfp::hostfactory
