// hostfactory/process_identity.h
//
// Who created a request, so that a later process can tell "its creator is still at work" from "its
// creator died": the pid, plus the process's start time and the boot it ran in (from /proc), so a
// reused pid is not mistaken for the original process, and the host's name.
//
// Liveness can only be seen on the creator's own host. With a store shared by several hosts (a
// failover pair on PostgreSQL), a process of another host counts as gone: its boot differs from
// ours, and its host name says which host it was. What follows from that is safe by design:
// re-sending a launch whose outcome is unknown reuses the attempt's ClientToken (the cloud returns
// the first call's result, it never launches twice), and a request is reclaimed only once
// HostFactory has not asked about it for the confirmation window (unclaimed_request_timeout_sec,
// 600 s), far longer than any requestMachines call runs (docs/operations.md, "A failover pair").
//
// Thread-safety: stateless functions.
//
// Example:
//   model::ProcessIdentity me = CurrentProcess();
//   if (!IsAlive(request.owner)) { /* the creator died: reconcile */ }
#pragma once

#include "model/request.h"

namespace ohfp::hostfactory {

model::ProcessIdentity CurrentProcess();
// True when the process `who` describes is still running on this host (same host, pid, start time
// and boot). A process of another host is never seen alive.
bool IsAlive(const model::ProcessIdentity& who);
// This host's name (gethostname), "" when it cannot be read.
std::string HostName();

}  // namespace ohfp::hostfactory
