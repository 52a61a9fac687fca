#include "store/pg_rows.h"

namespace ohfp::store::internal {
namespace {

// The same tables and columns as SQLite's migrations (sqlite_rows.cc): 1 is SQLite's 1-3 and 5 in
// one step, 2 is SQLite's 4 (issue 12's image and cached lookups, which came after 1 was written).
// Indexes that only hold what a command looks for (running requests, live machines, finished
// requests by age) keep history out of every command's way.
constexpr Migration kMigrations[] = {
    {1, "installation, requests, attempts, machines, returns, instance types, metrics, sweeps",
     R"sql(
CREATE TABLE installation (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  id         TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE requests (
  id                 TEXT PRIMARY KEY,
  kind               TEXT NOT NULL CHECK (kind IN ('acquire', 'return')),
  template_id        TEXT NOT NULL DEFAULT '',
  machine_count      INTEGER NOT NULL,
  provider_api       TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL CHECK (state IN ('running', 'complete', 'complete_with_error')),
  message            TEXT NOT NULL DEFAULT '',
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  polled_at          BIGINT,
  owner_pid          BIGINT NOT NULL,
  owner_start        TEXT NOT NULL,
  resource_id        TEXT NOT NULL DEFAULT '',
  launch_template_id TEXT NOT NULL DEFAULT '',
  abandoned          INTEGER NOT NULL DEFAULT 0,
  cleaned_up_at      BIGINT,
  owner_host         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX requests_open ON requests (kind, created_at) WHERE state = 'running';
CREATE INDEX requests_running_by_template ON requests (template_id)
  WHERE kind = 'acquire' AND state = 'running';
CREATE INDEX requests_to_clean_up ON requests (created_at)
  WHERE kind = 'acquire' AND state <> 'running' AND cleaned_up_at IS NULL;
CREATE INDEX requests_finished ON requests (updated_at) WHERE state <> 'running';
CREATE TABLE attempts (
  request_id   TEXT NOT NULL REFERENCES requests (id),
  number       INTEGER NOT NULL,
  client_token TEXT NOT NULL UNIQUE,
  state        TEXT NOT NULL CHECK (state IN ('prepared', 'succeeded', 'failed')),
  error        TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  PRIMARY KEY (request_id, number)
);
CREATE TABLE machines (
  instance_id     TEXT PRIMARY KEY,
  request_id      TEXT NOT NULL REFERENCES requests (id),
  template_id     TEXT NOT NULL,
  name            TEXT NOT NULL DEFAULT '',
  private_ip      TEXT NOT NULL DEFAULT '',
  public_ip       TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT '',
  result          TEXT NOT NULL CHECK (result IN ('executing', 'succeed', 'fail')),
  message         TEXT NOT NULL DEFAULT '',
  lifecycle       TEXT NOT NULL DEFAULT '',
  spot_request_id TEXT NOT NULL DEFAULT '',
  launch_time     BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE INDEX machines_by_request ON machines (request_id);
CREATE INDEX machines_live ON machines (template_id)
  WHERE result <> 'fail' AND state NOT IN ('terminated', 'shutting-down');
CREATE TABLE return_machines (
  return_id          TEXT NOT NULL REFERENCES requests (id),
  instance_id        TEXT NOT NULL,
  name               TEXT NOT NULL DEFAULT '',
  acquire_request_id TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL DEFAULT '',
  result             TEXT NOT NULL CHECK (result IN ('executing', 'succeed', 'fail')),
  message            TEXT NOT NULL DEFAULT '',
  updated_at         BIGINT NOT NULL,
  PRIMARY KEY (return_id, instance_id)
);
CREATE INDEX return_machines_by_instance ON return_machines (instance_id);
CREATE TABLE instance_types (
  instance_type TEXT PRIMARY KEY,
  vcpus         INTEGER NOT NULL,
  cores         INTEGER NOT NULL,
  memory_mib    BIGINT NOT NULL,
  fetched_at    BIGINT NOT NULL
);
CREATE TABLE metric_counters (
  name   TEXT NOT NULL,
  labels TEXT NOT NULL,
  value  DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (name, labels)
);
CREATE TABLE sweeps (
  name    TEXT PRIMARY KEY,
  last_at BIGINT NOT NULL
);
)sql"},
    {2, "the image a request launches; cached lookups (images' root devices, SSM parameters)",
     R"sql(
ALTER TABLE requests ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
CREATE TABLE cached_values (
  kind       TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  fetched_at BIGINT NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql"},
};

}  // namespace

std::span<const Migration> PgRequestMigrations() { return kMigrations; }

}  // namespace ohfp::store::internal
