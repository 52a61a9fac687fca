// hostfactory/process_identity.h
//
// Who created a request, so that a later process can tell "its creator is still at work" from "its
// creator died": the pid, plus the process's start time and the boot it ran in (from /proc), so a
// reused pid is not mistaken for the original process.
//
// Thread-safety: stateless functions.
//
// Example:
//   store::ProcessIdentity me = CurrentProcess();
//   if (!IsAlive(request.owner)) { /* the creator died: reconcile */ }
#pragma once

#include "store/request_store.h"

namespace ohfp::hostfactory {

store::ProcessIdentity CurrentProcess();
// True when the process `who` describes is still running (same pid, start time and boot).
bool IsAlive(const store::ProcessIdentity& who);

}  // namespace ohfp::hostfactory
