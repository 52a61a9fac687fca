#include "postgres.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "subprocess.h"

namespace ohfp::testing {
namespace {

namespace fs = std::filesystem;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A port nothing listens on right now (the kernel's choice).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string BinDir() {
  ProcessResult r;
  try {
    r = RunProcess({"pg_config", "--bindir"}, {.timeout = std::chrono::seconds(10)});
  } catch (const std::exception&) {
    r.exit_code = -1;
  }
  std::string dir = Trim(r.out);
  if (r.exit_code == 0 && fs::exists(fs::path(dir) / "initdb")) return dir;
  for (const char* candidate :
       {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (fs::exists(fs::path(candidate) / "initdb")) return candidate;
  }
  return "";
}

bool AsRoot() { return ::geteuid() == 0; }

// argv run as the server's user: through runuser when we are root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (!AsRoot()) return argv;
  std::vector<std::string> out = {"runuser", "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

ProcessResult Run(const std::vector<std::string>& argv, int seconds = 60) {
  try {
    return RunProcess(argv, {.timeout = std::chrono::seconds(seconds)});
  } catch (const std::exception& e) {
    return {.exit_code = -1, .out = "", .err = e.what()};
  }
}

}  // namespace

bool PostgresSkipAllowed() {
  const char* v = std::getenv("OHFP_TEST_POSTGRES");
  return v != nullptr && std::string(v) == "skip";
}

std::unique_ptr<PostgresServer> PostgresServer::Start(std::string* why) {
  auto fail = [&](const std::string& text) -> std::unique_ptr<PostgresServer> {
    if (why != nullptr) *why = text;
    return nullptr;
  };
  const std::string bindir = BinDir();
  if (bindir.empty()) {
    return fail(
        "no PostgreSQL server programs (pg_config --bindir, /usr/lib/postgresql/*/bin); "
        "run scripts/install-deps.sh");
  }
  std::string pattern = (fs::temp_directory_path() / "ohfp-pg.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return fail("mkdtemp failed");
  const std::string dir = pattern;
  if (AsRoot()) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      fs::remove_all(dir);
      return fail("running as root, and there is no 'postgres' user to run the server as");
    }
    if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      fs::remove_all(dir);
      return fail("cannot give " + dir + " to the postgres user");
    }
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(bindir, dir, 0));
  const ProcessResult init =
      Run(AsServerUser({bindir + "/initdb", "-D", dir + "/data", "-A", "trust", "-U", "ohfp", "-E",
                        "UTF8", "--locale=C", "--no-sync"}),
          120);
  if (init.exit_code != 0) return fail("initdb failed: " + init.err + init.out);
  std::string last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = FreePort();
    if (server->Launch(&last)) break;
  }
  if (!server->running_) return fail(last);
  if (!server->Sql("CREATE DATABASE ohfp", &last, "postgres")) {
    return fail("cannot create the test database: " + last);
  }
  return server;
}

bool PostgresServer::Launch(std::string* why) {
  const std::string options = "-p " + std::to_string(port_) +
                              " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_ +
                              " -c fsync=off -c full_page_writes=off -c max_connections=300";
  const ProcessResult r =
      Run(AsServerUser({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-o",
                        options, "-w", "-t", "60", "start"}),
          90);
  running_ = r.exit_code == 0;
  if (!running_ && why != nullptr) {
    *why = "pg_ctl start failed: " + r.err + r.out + " (see " + dir_ + "/server.log)";
  }
  return running_;
}

bool PostgresServer::Stop() {
  if (!running_) return true;
  const ProcessResult r = Run(
      AsServerUser({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}), 90);
  running_ = r.exit_code != 0;
  return !running_;
}

bool PostgresServer::StartAgain(std::string* why) { return running_ || Launch(why); }

bool PostgresServer::Restart(std::string* why) {
  if (!Stop()) {
    if (why != nullptr) *why = "pg_ctl stop failed";
    return false;
  }
  return Launch(why);
}

PostgresServer::~PostgresServer() {
  if (running_) {
    (void)Run(
        AsServerUser({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
        60);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::Url(const std::string& database) const {
  return "postgresql://ohfp@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::NewSchema() {
  return "t" + std::to_string(::getpid()) + "_" + std::to_string(++schemas_);
}

bool PostgresServer::Sql(const std::string& sql, std::string* out,
                         const std::string& database) const {
  const ProcessResult r =
      Run({"psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
           std::to_string(port_), "-U", "ohfp", "-d", database, "-c", sql});
  if (out != nullptr) *out = r.exit_code == 0 ? Trim(r.out) : r.err + r.out;
  return r.exit_code == 0;
}

namespace {

// RFC 4180 records of `text` (psql --csv).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    any = true;
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      any = false;
    } else {
      field += c;
    }
  }
  if (any) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

std::vector<std::map<std::string, std::string>> PostgresServer::Rows(const std::string& sql,
                                                                     std::string* why) const {
  const ProcessResult r =
      Run({"psql", "-X", "-q", "--csv", "-P", "null=NULL", "-v", "ON_ERROR_STOP=1", "-h",
           "127.0.0.1", "-p", std::to_string(port_), "-U", "ohfp", "-d", "ohfp", "-c", sql});
  std::vector<std::map<std::string, std::string>> rows;
  if (r.exit_code != 0) {
    if (why != nullptr) *why = r.err + r.out;
    return rows;
  }
  const std::vector<std::vector<std::string>> records = ParseCsv(r.out);
  if (records.empty()) return rows;
  for (std::size_t i = 1; i < records.size(); ++i) {
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < records[0].size() && c < records[i].size(); ++c) {
      row[records[0][c]] = records[i][c];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

PostgresServer* SharedPostgres(std::string* why) {
  // One server per test binary: started on first use, stopped at exit. Forked children leave
  // with _exit() and never stop it.
  static std::string failure;
  static const std::unique_ptr<PostgresServer> server = PostgresServer::Start(&failure);
  if (server == nullptr && why != nullptr) *why = failure;
  return server.get();
}

}  // namespace ohfp::testing
