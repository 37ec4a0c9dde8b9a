#ifndef POD_DISPATCHER_TESTS_SQL_CHILD_PROCESS_HPP
#define POD_DISPATCHER_TESTS_SQL_CHILD_PROCESS_HPP

// Running a helper program as a process of its own.

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace crash_test {

/// Runs program with args in a new process and waits for it to end; its wait status.
inline int run_process(const std::string& program, const std::vector<std::string>& args)
{
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (const int rc = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0) {
        throw std::system_error(rc, std::generic_category(), "starting " + program);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "waiting for " + program);
        }
    }
    return status;
}

} // namespace crash_test

#endif
