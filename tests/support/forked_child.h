// tests/support/forked_child.h
//
// Child: a forked child process running a lambda, leaving with _exit() (no gtest teardown, no
// atexit handlers, no destructors of the parent's objects), killed if still running when the test
// ends. Pipe: a one-shot signal between parent and children, so tests order processes without
// sleeping. For tests of state shared by processes (the SQLite store): the parent must hold no
// database connection across the fork, and must be single-threaded then.
//
// Thread-safety: one object per thread.
//
// Example:
//   Pipe go;
//   Child child([&] { go.ReadByte(); return DoWork() ? 0 : 1; });
//   go.WriteByte();
//   EXPECT_EQ(child.Wait(), 0);
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <stdexcept>

namespace ohfp::testing {

// A pipe, used as a one-shot signal: the reader blocks until a byte arrives or every write end is
// closed.
class Pipe {
 public:
  Pipe() {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe failed");
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  void CloseRead() { Close(fds_[0]); }
  void CloseWrite() { Close(fds_[1]); }
  bool WriteByte() {
    const char byte = 1;
    return write(fds_[1], &byte, 1) == 1;
  }
  // True when a byte came; false at end of file (every writer closed or died).
  bool ReadByte() {
    char byte = 0;
    ssize_t n = 0;
    do {
      n = read(fds_[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1;
  }

 private:
  static void Close(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

// A child process running `body`; it exits with body's return value.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) _exit(body());
  }
  // A child still running when the test ends (a failed assertion) is killed, never left behind.
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      (void)Wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void Kill() const { kill(pid_, SIGKILL); }
  // The exit code, or -signal when killed.
  int Wait() {
    int status = 0;
    pid_t done = 0;
    do {
      done = waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    pid_ = -1;
    if (done < 0) return -1000;
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace ohfp::testing
