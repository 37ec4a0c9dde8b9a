#ifndef POD_DISPATCHER_TESTING_DETAIL_WORKER_PROCESS_HPP
#define POD_DISPATCHER_TESTING_DETAIL_WORKER_PROCESS_HPP

// The plumbing of multi_process.hpp and pod_failures.hpp (POSIX): a copy of the running
// test program started as a worker, and the file it writes its report to.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace pod_dispatcher::testing::detail {

/// A file for a worker's report, removed with this object.
class ReportFile {
public:
    ReportFile()
    {
        const char* tmp = std::getenv("TMPDIR");
        path_ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/pod_dispatcher_worker.XXXXXX";
        const int fd = ::mkstemp(path_.data());
        if (fd >= 0) {
            ::close(fd);
        } else {
            path_.clear();
        }
    }
    ~ReportFile()
    {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }
    ReportFile(const ReportFile&) = delete;
    ReportFile& operator=(const ReportFile&) = delete;

    const std::string& path() const noexcept { return path_; }

    std::string contents() const
    {
        std::ifstream in{path_};
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    std::string path_;
};

/// The running program, so that a worker runs the same code (and sanitizers) as its parent.
inline std::string this_executable()
{
    std::error_code error;
    const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string{} : path.string();
}

/// Starts this program with args (its output and errors shared with this one); the
/// child's pid, or -1.
inline pid_t start_copy(const std::vector<std::string>& args)
{
    const std::string program = this_executable();
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    return ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) == 0 ? pid : -1;
}

/// Waits for a child; its exit status, or -1 when it did not exit normally.
inline int wait_for(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A child's exit status as wait_for gives it, without waiting: none while it runs.
inline std::optional<int> exit_status_if_ended(pid_t pid)
{
    int status = 0;
    pid_t ended = -1;
    do {
        ended = ::waitpid(pid, &status, WNOHANG);
    } while (ended < 0 && errno == EINTR);
    if (ended == 0) {
        return std::nullopt;
    }
    return ended > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace pod_dispatcher::testing::detail

#endif
