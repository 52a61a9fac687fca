// hostfactory/housekeeping.h
//
// What getRequestStatus also does, at most once per housekeeping interval across processes, and
// what `ohfp reconcile` does on demand:
//
//   reclaim   a request HostFactory never asked about whose creator died is abandoned, and what
//             it launched released: nobody will ever use those machines;
//   sweep     this installation's live instances that the store positively records as abandoned
//             (model/orphans.h) are terminated, once older than the minimum age; instances it
//             cannot account for are reported, never terminated. The sweep runs only when every
//             read it needs succeeded in full; any failure stops it and is logged;
//   cleanup   a finished request whose machines are all gone has its fleet, group or launch
//             template deleted (again, after a failure or a crash);
//   history   finished requests older than the retention (store.retention_days) that nothing
//             depends on any more are deleted from the store, a small batch per run, so that the
//             store's size follows the work in flight, not the installation's age.
//
// Thread-safety: one per command process.
//
// Example:
//   Housekeeper housekeeper(ctx, returns);
//   housekeeper.Run(/*force=*/false);
//   SweepReport r = housekeeper.Sweep(/*dry_run=*/true);
#pragma once

#include <string>
#include <vector>

#include "hostfactory/command_context.h"
#include "hostfactory/returns.h"
#include "model/orphans.h"

namespace ohfp::hostfactory {

struct SweepReport {
  bool ran = false;       // false when a read failed (see `problem`)
  std::string problem{};  // why the sweep did not run
  std::vector<model::OrphanFinding> findings{};
  std::vector<std::string> terminated{};  // empty on a dry run
};

class Housekeeper {
 public:
  // `returns` finishes the return requests HostFactory never asked about.
  Housekeeper(CommandContext& ctx, Returner& returns) : ctx_(ctx), returns_(returns) {}

  // Reclaim, sweep and clean up; unless `force`, only when no process did within the interval.
  void Run(bool force);
  // The orphan sweep alone; with `dry_run`, what it would do, without doing it.
  SweepReport Sweep(bool dry_run);
  // Reclaims the requests HostFactory never learned of (their creator is gone, nobody polled them
  // within the confirmation window, and they are older than the command deadline) and finishes
  // unclaimed returns. Returns how many acquire requests were reclaimed, so that what they held
  // against maxNumber is free again.
  int ReclaimUnclaimed();

 private:
  // Whether `request` was reclaimed (a poll may have claimed it first).
  bool ReclaimOne(const model::Request& request);
  void CleanupFinished();
  void PurgeHistory();

  CommandContext& ctx_;
  Returner& returns_;
};

// Deletes what the cloud holds for a finished acquire request (its fleet, group, launch
// template) once it has no machine left, and records that it did; a failure is logged and tried
// again at the next housekeeping.
void CleanupIfEmpty(CommandContext& ctx, const model::Request& request);
void CleanupIfEmpty(CommandContext& ctx, const std::string& acquire_request_id);

}  // namespace ohfp::hostfactory
