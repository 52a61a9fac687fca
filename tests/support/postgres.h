// tests/support/postgres.h
//
// PostgresServer: a PostgreSQL server of the tests' own, started the way CI can: initdb into a new
// temporary directory and `pg_ctl start` on 127.0.0.1 with a free port (its Unix socket in the
// same directory), authentication "trust" for the superuser "ohfp", durability switched off for
// speed (fsync, full_page_writes: a clean stop or a killed server still keeps what was committed;
// only a crash of the machine would not). The server refuses to run as root, and CI runs as root:
// then the directory belongs to the "postgres" user and the server programs run through
// `runuser -u postgres`. The binaries come from `pg_config --bindir` (Debian's postgresql,
// installed by scripts/install-deps.sh). The destructor stops the server and removes the directory.
//
// SharedPostgres() is the one server of a test binary, started on first use; tests isolate
// themselves with a schema each (NewSchema()).
//
// Thread-safety: one object per thread; the server serves any number of clients.
//
// Example:
//   std::string why;
//   PostgresServer* pg = SharedPostgres(&why);
//   ASSERT_NE(pg, nullptr) << why;
//   PgSettings settings{.url = pg->Url(), .schema = pg->NewSchema()};
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ohfp::testing {

class PostgresServer {
 public:
  // Starts a server; nullptr (and `why`) when it cannot.
  static std::unique_ptr<PostgresServer> Start(std::string* why = nullptr);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgresql://ohfp@127.0.0.1:<port>/<database>
  std::string Url(const std::string& database = "ohfp") const;
  // A schema name no other test of this process used.
  std::string NewSchema();
  // Runs SQL with psql as the superuser; false (and psql's words in `out`) when it fails. `out`
  // receives the rows, unaligned, one per line.
  bool Sql(const std::string& sql, std::string* out = nullptr,
           const std::string& database = "ohfp") const;
  // The rows of a query, column name -> value as text ("NULL" for null); empty (and `why`) when it
  // fails.
  std::vector<std::map<std::string, std::string>> Rows(const std::string& sql,
                                                       std::string* why = nullptr) const;
  // Stops the server (fast shutdown: clients are disconnected) and starts it again on the same
  // port; false (and `why`) on failure.
  bool Restart(std::string* why = nullptr);
  // Stops the server, leaving it stopped until Start() again (false on failure).
  bool Stop();
  bool StartAgain(std::string* why = nullptr);
  const std::string& directory() const { return dir_; }

 private:
  PostgresServer(std::string bindir, std::string dir, int port)
      : bindir_(std::move(bindir)), dir_(std::move(dir)), port_(port) {}
  bool Launch(std::string* why);

  std::string bindir_;
  std::string dir_;
  int port_;
  int schemas_ = 0;
  bool running_ = false;
};

// The test binary's server, started on first use and stopped when the binary exits; nullptr (and
// `why`) when it cannot start.
PostgresServer* SharedPostgres(std::string* why = nullptr);

// True when the tests that need PostgreSQL should be skipped rather than fail without a server:
// OHFP_TEST_POSTGRES=skip in the environment.
bool PostgresSkipAllowed();

}  // namespace ohfp::testing
