// A child process for tests, with its stdout and stderr on pipes: the proxy executable, or the moto
// emulator.
//
// Thread-safety: one Process is used from one thread.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

extern char** environ;

namespace ohfp::chaos_proxy::testing {

class Process {
 public:
  // args[0] is the program, looked up in PATH if it has no slash.
  explicit Process(std::vector<std::string> args) {
    int out[2];
    int err[2];
    EXPECT_EQ(pipe(out), 0);
    EXPECT_EQ(pipe(err), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, err[0]);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    spawned_ = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0;
    EXPECT_TRUE(spawned_) << "cannot run " << args[0];
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Process() {
    if (spawned_ && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    close(out_);
    close(err_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // One line (blocks until the child writes it, or returns what there is when the child closes the
  // stream).
  std::string ReadStdoutLine() { return ReadLine(out_); }
  std::string ReadStderrLine() { return ReadLine(err_); }
  std::string ReadAllStdout() { return ReadAll(out_); }
  std::string ReadAllStderr() { return ReadAll(err_); }
  // False once the stream has ended.
  bool StderrOpen() const { return !err_ended_; }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // The exit code, or 128 + the signal that ended it.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::string ReadLine(int fd) {
    std::string line;
    char c = 0;
    while (true) {
      if (read(fd, &c, 1) != 1) {
        if (fd == err_) err_ended_ = true;
        break;
      }
      if (c == '\n') break;
      line.push_back(c);
    }
    return line;
  }

  static std::string ReadAll(int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    ssize_t n = 0;
    while ((n = read(fd, buffer.data(), buffer.size())) > 0) {
      text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return text;
  }

  pid_t pid_ = -1;
  bool spawned_ = false;
  bool waited_ = false;
  bool err_ended_ = false;
  int out_ = -1;
  int err_ = -1;
};

}  // namespace ohfp::chaos_proxy::testing
