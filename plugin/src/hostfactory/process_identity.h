// hostfactory/process_identity.h
//
// Who created a request, so that a later process can tell "its creator is still at work" from "its
// creator died": the pid, plus the process's start time and the boot it ran in (from /proc), so a
// reused pid is not mistaken for the original process.
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
// True when the process `who` describes is still running (same pid, start time and boot).
bool IsAlive(const model::ProcessIdentity& who);

}  // namespace ohfp::hostfactory
