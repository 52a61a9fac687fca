#include "ohfp/hf_simulator/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT: POSIX

namespace ohfp::hf_simulator {
namespace {

using std::chrono::steady_clock;

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& set,
                                          const std::vector<std::string>& unset) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const std::string& name : unset) env.erase(name);
  for (const auto& [k, v] : set) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

ProcessResult RunCommand(const std::vector<std::string>& argv, const ProcessOptions& options) {
  signal(SIGPIPE, SIG_IGN);
  ProcessResult result;
  if (argv.empty()) {
    result.started = false;
    result.err = "no program to run";
    return result;
  }
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.started = false;
    result.err = std::string("pipe failed: ") + std::strerror(errno);
    CloseFd(out_pipe[0]);
    CloseFd(out_pipe[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(options.env, options.unset_env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Its own process group, so a kill reaches whatever the script started too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  const auto started = steady_clock::now();
  const int rc = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);
  if (rc != 0) {
    CloseFd(out_pipe[0]);
    CloseFd(err_pipe[0]);
    result.started = false;
    result.err = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  const auto deadline = started + options.timeout;
  // A kill time at the deadline or later never comes first: the timeout wins.
  const steady_clock::time_point kill_at =
      options.kill_after ? started + *options.kill_after : deadline + std::chrono::hours(1);
  bool sent_kill = false;
  steady_clock::time_point killed_at{};
  // After a kill, a process that escaped the group may still hold the pipes: stop reading then.
  constexpr auto kDrainAfterKill = std::chrono::seconds(2);
  std::array<int*, 2> fds = {&out_pipe[0], &err_pipe[0]};
  std::array<std::string*, 2> sinks = {&result.out, &result.err};
  while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
    const auto now = steady_clock::now();
    if (!sent_kill && (now >= kill_at || now >= deadline)) {
      kill(-pid, SIGKILL);
      sent_kill = true;
      killed_at = now;
      (now >= kill_at ? result.killed : result.timed_out) = true;
    }
    if (sent_kill && now - killed_at > kDrainAfterKill) break;
    const auto until = std::min(deadline, kill_at);
    long wait_ms =
        sent_kill ? 100
                  : std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
    if (wait_ms < 0) wait_ms = 0;
    std::array<pollfd, 2> polls{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
    const int n = poll(polls.data(), polls.size(), static_cast<int>(std::min(wait_ms, 1000L)));
    if (n < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (*fds[i] < 0 || (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[65536];
      const ssize_t got = read(*fds[i], buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        CloseFd(*fds[i]);
      }
    }
  }
  CloseFd(out_pipe[0]);
  CloseFd(err_pipe[0]);
  int status = 0;
  pid_t done = 0;
  do {
    done = waitpid(pid, &status, 0);
  } while (done < 0 && errno == EINTR);
  result.wall = steady_clock::now() - started;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = -WTERMSIG(status);
  if (!WIFSIGNALED(status)) {
    // It ended on its own just before the kill arrived.
    result.killed = false;
    result.timed_out = false;
  }
  return result;
}

}  // namespace ohfp::hf_simulator
