// MongoStore when its server stops in the middle of a run of dispatches and comes back:
// every call fails with store_unavailable while it is away, nothing is handed out twice,
// and dispatching resumes once it is back.
//
// The test starts its own FerretDB (SQLite backend, temporary directory, free loopback
// port). The binary is $FERRETDB, else `ferretdb` on PATH, else the one
// scripts/install-deps.sh --all builds; without a working one the test is skipped.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace pd = pod_dispatcher;
using namespace pod_dispatcher::testing;
using pod_dispatcher::Errc;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::MongoStoreOptions;
using Clock = std::chrono::steady_clock;

namespace {

namespace fs = std::filesystem;

/// Runs argv with its output appended to log (or discarded); the child's pid, or -1.
pid_t spawn(const std::vector<std::string>& args, const std::string& log = "/dev/null")
{
    std::vector<char*> argv;
    for (const auto& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    const int failed = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return failed == 0 ? pid : -1;
}

/// Whether a program can be started and exits 0.
bool runs(const std::vector<std::string>& args)
{
    const pid_t pid = spawn(args);
    if (pid < 0) {
        return false;
    }
    int status = 0;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// The FerretDB binary to use, found as tests/mongo/with_ferretdb.sh finds it.
std::string ferretdb_binary()
{
    if (const char* set = std::getenv("FERRETDB"); set != nullptr && *set != '\0') {
        return set;
    }
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::string dirs = path;
        std::size_t start = 0;
        while (start <= dirs.size()) {
            const std::size_t end = std::min(dirs.find(':', start), dirs.size());
            const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "ferretdb";
            if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
                return candidate.string();
            }
            start = end + 1;
        }
    }
    std::string cache;
    if (const char* set = std::getenv("POD_DISPATCHER_CACHE"); set != nullptr && *set != '\0') {
        cache = set;
    } else if (const char* home = std::getenv("HOME"); home != nullptr) {
        cache = std::string(home) + "/.cache/pod_dispatcher";
    }
    return cache + "/ferretdb-v1.24.2/ferretdb";
}

sockaddr_in loopback(std::uint16_t port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

/// A loopback port nothing listens on just now: the one the kernel picks for port 0.
std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0
                       && ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    REQUIRE(bound);
    return ntohs(address.sin_port);
}

bool accepts(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    const sockaddr_in address = loopback(port);
    const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

/// A temporary directory, removed with everything in it.
class TempDir {
public:
    TempDir()
    {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp")
                              + "/pod_dispatcher_restart.XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

/// A FerretDB process serving a data directory on a loopback port; stopped (SIGTERM,
/// then waited for) by stop() or the destructor.
class FerretDb {
public:
    FerretDb(std::string binary, fs::path dir, std::uint16_t port)
        : binary_(std::move(binary)), dir_(std::move(dir)), port_(port)
    {
    }
    ~FerretDb() { stop(); }
    FerretDb(const FerretDb&) = delete;
    FerretDb& operator=(const FerretDb&) = delete;

    /// Starts the server and waits until it accepts connections; false if it does not
    /// within ten seconds (it is stopped then).
    bool start()
    {
        fs::create_directories(dir_ / "data");
        pid_ = spawn({binary_, "--handler=sqlite",
                      "--sqlite-url=file:" + (dir_ / "data").string() + "/?_pragma=synchronous(normal)",
                      "--listen-addr=127.0.0.1:" + std::to_string(port_), "--state-dir=" + dir_.string(),
                      "--debug-addr=-", "--telemetry=disable", "--log-level=WARN"},
                     (dir_ / "ferretdb.log").string());
        if (pid_ < 0) {
            return false;
        }
        const auto deadline = Clock::now() + std::chrono::seconds{10};
        while (Clock::now() < deadline) {
            if (accepts(port_)) {
                return true;
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1; // it exited: the port was taken, or the binary is broken
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        stop();
        return false;
    }

    void stop()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

    std::string uri() const
    {
        return "mongodb://127.0.0.1:" + std::to_string(port_)
               + "/?serverSelectionTimeoutMS=500&connectTimeoutMS=500";
    }

private:
    std::string binary_;
    fs::path dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
};

std::string task_id(int i) { return "t" + std::to_string(i); }
std::string pod_id(int i) { return "p" + std::to_string(i); }

/// Checks, with the server up, that no task went out twice and none was lost: each task
/// has at most one task_dispatched event and is either dispatched to the one pod that
/// runs it or still queued. Returns how many were dispatched.
int check_nothing_lost_or_doubled(MongoStore& store, const std::string& dispatcher_id, int n)
{
    const pd::PodDispatcher d = stored_dispatcher(store, dispatcher_id);
    const std::set<std::string> queued(d.task_ids.begin(), d.task_ids.end());
    REQUIRE(queued.size() == d.task_ids.size());

    std::map<std::string, std::string> runner_of; // task id -> the pod running it
    for (int i = 0; i < n; ++i) {
        const pd::Pod pod = stored_pod(store, pod_id(i));
        if (!pod.running_task_id.empty()) {
            // Pods' running tasks are distinct.
            REQUIRE(runner_of.emplace(pod.running_task_id, pod.id).second);
        }
    }

    int dispatched = 0;
    for (int i = 0; i < n; ++i) {
        const pd::Task task = stored_task(store, task_id(i));
        const auto events = event_types(store, task.id);
        const auto dispatch_events = std::ranges::count(events, pd::EventType::task_dispatched);
        INFO("task " << task.id);
        REQUIRE(dispatch_events <= 1);
        if (task.status == pd::TaskStatus::dispatched) {
            ++dispatched;
            REQUIRE(dispatch_events == 1);
            REQUIRE_FALSE(queued.contains(task.id));
            REQUIRE(runner_of.contains(task.id));
            REQUIRE(runner_of.at(task.id) == task.pod_id);
        } else {
            REQUIRE(task.status == pd::TaskStatus::undispatched);
            REQUIRE(dispatch_events == 0);
            REQUIRE(queued.contains(task.id));
            REQUIRE_FALSE(runner_of.contains(task.id));
        }
    }
    REQUIRE(static_cast<int>(runner_of.size()) == dispatched);
    return dispatched;
}

} // namespace

TEST_CASE("MongoStore survives its server stopping part way through a run of dispatches")
{
    pod_dispatcher_mongo::test::quiet_driver_log();
    const std::string binary = ferretdb_binary();
    if (!runs({binary, "--version"})) {
        SKIP("no working FerretDB at '" + binary + "': set FERRETDB, or run scripts/install-deps.sh --all");
    }

    // Our own server, on a port nobody else uses; another process may take a free port
    // between the check and the bind, so try a few.
    const TempDir dir;
    std::optional<FerretDb> server;
    for (int attempt = 0; attempt < 5 && !server; ++attempt) {
        server.emplace(binary, dir.path(), free_port());
        if (!server->start()) {
            server.reset();
        }
    }
    REQUIRE(server);

    MongoStoreOptions options;
    options.database = pod_dispatcher_mongo::test::fresh_database_name();
    auto opened = MongoStore::open(server->uri(), std::move(options));
    REQUIRE(opened);
    MongoStore& store = opened.value();

    // One dispatcher with n dispatchable tasks and n running pods, and a task waiting
    // for allocation in a group of its own.
    constexpr int n = 60;
    constexpr int before_stop = 20;
    std::vector<std::string> task_ids;
    std::vector<std::string> pod_ids;
    seed(store, enabled_project());
    for (int i = 0; i < n; ++i) {
        task_ids.push_back(task_id(i));
        pod_ids.push_back(pod_id(i));
        seed(store, dispatchable_task(task_ids.back()));
        seed(store, running_pod(pod_ids.back()));
    }
    seed(store, allocatable_task("spare"));
    const pd::PodDispatcher d = pd::new_pod_dispatcher("group", task_ids, pod_ids);
    seed(store, d);
    const std::int64_t count_at_start = stored_dispatcher(store, d.id).modification_count;

    // While the server is up, each pod takes the next task in the queue.
    for (int i = 0; i < before_stop; ++i) {
        const auto task = pd::dispatch_next_task(store, pod_id(i));
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == task_id(i));
    }

    // The server goes away: every call fails with store_unavailable, and quickly.
    server->stop();
    for (int i = before_stop; i < before_stop + 3; ++i) {
        const auto start = Clock::now();
        const auto dispatched = pd::dispatch_next_task(store, pod_id(i));
        REQUIRE_FALSE(dispatched);
        REQUIRE(dispatched.error() == Errc::store_unavailable);

        const auto found = pd::find_one_by_id(store, d.id);
        REQUIRE_FALSE(found);
        REQUIRE(found.error() == Errc::store_unavailable);

        auto spare = allocatable_task("spare");
        auto pod = intent_pod("spare-pod");
        const auto allocated = pd::allocate(store, spare, pod);
        REQUIRE_FALSE(allocated);
        REQUIRE(allocated.error() == Errc::store_unavailable);

        REQUIRE(Clock::now() - start < std::chrono::seconds{10});
    }
    REQUIRE_FALSE(store.last_error_message().empty());

    // The server comes back on the same port with the same data. The driver finds it
    // again within a few of its checks.
    REQUIRE(server->start());
    const auto deadline = Clock::now() + std::chrono::seconds{20};
    while (!pd::find_one_by_id(store, d.id) && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    REQUIRE(pd::find_one_by_id(store, d.id));

    // What was dispatched before the stop is still dispatched; the failed calls wrote nothing.
    REQUIRE(check_nothing_lost_or_doubled(store, d.id, n) == before_stop);
    REQUIRE_FALSE(stored_task(store, "spare").container_allocated);
    REQUIRE_FALSE(store.find_pod("spare-pod").value());

    // Dispatching resumes where it stopped, until the queue is empty.
    for (int i = before_stop; i < n; ++i) {
        const auto task = pd::dispatch_next_task(store, pod_id(i));
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == task_id(i));
    }
    REQUIRE(check_nothing_lost_or_doubled(store, d.id, n) == n);
    const pd::PodDispatcher after = stored_dispatcher(store, d.id);
    REQUIRE(after.task_ids.empty());
    REQUIRE(after.modification_count >= count_at_start + n);
}
