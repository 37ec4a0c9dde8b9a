#ifndef POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CREWS_HPP
#define POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CREWS_HPP

// Who runs the pods' agents and the rescuers of pod_failures.hpp: copies of the test
// program (POSIX processes, killed with SIGKILL), or threads of this one, each with a
// store object of its own opened on the run's location. Both crews answer the conductor
// alike: start an agent or the rescuers, read an agent's journal so far, kill it, see
// whether it has ended, stop the rescuers and hand over their journals.

#include <pod_dispatcher/testing/detail/pod_failure_roles.hpp>
#include <pod_dispatcher/testing/detail/worker_process.hpp>
#include <pod_dispatcher/testing/multi_process.hpp>
#include <pod_dispatcher/testing/pod_failure_record.hpp>

#include <signal.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace pod_dispatcher::testing::detail {

inline constexpr std::string_view pod_agent_flag = "--pod-dispatcher-pod-agent";
inline constexpr std::string_view rescuer_flag = "--pod-dispatcher-rescuer";

// ---- The plan, passed to a process as words: each field in this order.

inline constexpr std::tuple pod_failure_plan_fields{
    &PodFailurePlan::single_tasks, &PodFailurePlan::groups, &PodFailurePlan::tasks_per_group,
    &PodFailurePlan::hosts_per_group, &PodFailurePlan::killed_twice, &PodFailurePlan::killed_once,
    &PodFailurePlan::groups_losing_a_pod, &PodFailurePlan::rescuers, &PodFailurePlan::work,
    &PodFailurePlan::heartbeat_every, &PodFailurePlan::heartbeat_timeout, &PodFailurePlan::startup_timeout,
    &PodFailurePlan::rescue_every, &PodFailurePlan::deadline};

inline constexpr int plan_word_count = static_cast<int>(std::tuple_size_v<decltype(pod_failure_plan_fields)>);

inline std::string plan_word(int n) { return std::to_string(n); }
inline std::string plan_word(std::chrono::milliseconds t) { return std::to_string(t.count()); }
inline void read_plan_word(const char* word, int& n) { n = static_cast<int>(std::strtol(word, nullptr, 10)); }
inline void read_plan_word(const char* word, std::chrono::milliseconds& t)
{
    t = std::chrono::milliseconds{std::strtoll(word, nullptr, 10)};
}

inline std::vector<std::string> plan_words(const PodFailurePlan& plan)
{
    std::vector<std::string> words;
    std::apply([&](auto... field) { (words.push_back(plan_word(plan.*field)), ...); }, pod_failure_plan_fields);
    return words;
}

inline PodFailurePlan parse_plan_words(char* words[])
{
    PodFailurePlan plan;
    int i = 0;
    std::apply([&](auto... field) { (read_plan_word(words[i++], plan.*field), ...); }, pod_failure_plan_fields);
    return plan;
}

// ---- A process's side.

/// A process's journal: each line appended and flushed as it is written, so that the
/// lines written before a SIGKILL are there to read.
class JournalFile {
public:
    explicit JournalFile(const char* path) : file_(std::fopen(path, "a")) {}
    ~JournalFile()
    {
        if (file_ != nullptr) {
            std::fclose(file_);
        }
    }
    JournalFile(const JournalFile&) = delete;
    JournalFile& operator=(const JournalFile&) = delete;

    explicit operator bool() const noexcept { return file_ != nullptr; }

    void operator()(const std::string& line) const
    {
        std::fputs((line + '\n').c_str(), file_);
        std::fflush(file_);
    }

private:
    std::FILE* file_;
};

/// Set by SIGTERM in a rescuer process: it stops after the call it is making.
inline volatile std::sig_atomic_t rescuer_told_to_stop = 0;

/// The words after the flag: location, journal, the plan, then a pod agent's pod and
/// whether it is doomed.
inline constexpr int plan_at = 4;
inline constexpr int pod_at = plan_at + plan_word_count;

inline bool is_pod_failure_role(int argc, char* argv[])
{
    return argc > 1 && (argv[1] == pod_agent_flag || argv[1] == rescuer_flag);
}

/// The main of a process ProcessCrew started: a pod's agent or a rescuer, on a store
/// open(location) opens, writing its journal where the crew reads it.
template <StoreOpener Open>
int pod_failure_role_main(int argc, char* argv[], const Open& open)
{
    const bool agent = argv[1] == pod_agent_flag;
    if (!agent) {
        std::signal(SIGTERM, [](int) { rescuer_told_to_stop = 1; });
    }
    if (argc != pod_at + (agent ? 2 : 0)) {
        std::fprintf(stderr, "%s: expected %d arguments, got %d\n", argv[1], pod_at + (agent ? 1 : -1), argc - 1);
        return 2;
    }
    const JournalFile journal{argv[3]};
    if (!journal) {
        return 2;
    }
    const PodFailurePlan plan = parse_plan_words(argv + plan_at);
    const auto store = open(argv[2]);
    if (!store) {
        journal(failure_line(std::string("cannot open ") + argv[2]));
        return 2;
    }
    if (agent) {
        run_pod_agent(*store, argv[pod_at], argv[pod_at + 1] == std::string_view{"1"}, plan, [] { return true; },
                      journal);
    } else {
        run_rescuer(*store, plan, [] { return rescuer_told_to_stop == 0; }, journal);
    }
    return 0;
}

// ---- The crews.

/// Agents and rescuers as copies of this program (whose main runs pod_failure_role_main
/// for them). Whatever still runs when the crew goes is killed.
class ProcessCrew {
public:
    ProcessCrew(std::string_view location, const PodFailurePlan& plan)
        : location_(location), plan_words_(plan_words(plan)), rescuers_wanted_(plan.rescuers)
    {
    }
    ~ProcessCrew()
    {
        for (std::vector<Child>* children : {&pods_, &rescuers_}) {
            for (Child& child : *children) {
                if (child.pid > 0 && !child.reaped) {
                    ::kill(child.pid, SIGKILL);
                    wait_for(child.pid);
                }
            }
        }
    }
    ProcessCrew(const ProcessCrew&) = delete;
    ProcessCrew& operator=(const ProcessCrew&) = delete;

    std::size_t start_pod_agent(const std::string& pod_id, bool doomed)
    {
        start(pods_, pod_agent_flag, {pod_id, doomed ? "1" : "0"});
        return pods_.size() - 1;
    }

    std::string journal(std::size_t pod) const { return pods_[pod].journal->contents(); }

    void kill(std::size_t pod)
    {
        if (pods_[pod].pid > 0) {
            ::kill(pods_[pod].pid, SIGKILL);
        }
    }

    /// The agent's exit status (-1: it did not exit, e.g. it was killed), or none while
    /// it runs.
    std::optional<int> ended(std::size_t pod)
    {
        Child& child = pods_[pod];
        if (child.pid <= 0) {
            return -1;
        }
        const auto status = exit_status_if_ended(child.pid);
        child.reaped = status.has_value();
        return status;
    }

    void start_rescuers()
    {
        for (int r = 0; r < rescuers_wanted_; ++r) {
            start(rescuers_, rescuer_flag, {});
        }
    }

    /// Tells each rescuer to stop (SIGTERM), waits for it, and returns its journal, with
    /// a failure line if it did not exit as it should.
    std::vector<std::string> stop_rescuers()
    {
        std::vector<std::string> journals;
        for (Child& child : rescuers_) {
            if (child.pid > 0) {
                ::kill(child.pid, SIGTERM);
            }
            const int status = child.pid > 0 ? wait_for(child.pid) : -1;
            child.reaped = true;
            std::string text = child.journal->contents();
            if (status != 0) {
                text += failure_line("the rescuer exited with status " + std::to_string(status)) + '\n';
            }
            journals.push_back(std::move(text));
        }
        return journals;
    }

private:
    struct Child {
        pid_t pid = -1;
        std::unique_ptr<ReportFile> journal;
        bool reaped = false;
    };

    void start(std::vector<Child>& children, std::string_view flag, const std::vector<std::string>& extra)
    {
        Child& child = children.emplace_back();
        child.journal = std::make_unique<ReportFile>();
        std::vector<std::string> args{std::string(flag), location_, child.journal->path()};
        args.insert(args.end(), plan_words_.begin(), plan_words_.end());
        args.insert(args.end(), extra.begin(), extra.end());
        child.pid = start_copy(args);
    }

    std::string location_;
    std::vector<std::string> plan_words_;
    int rescuers_wanted_;
    std::vector<Child> pods_;
    std::vector<Child> rescuers_;
};

/// Agents and rescuers as threads of this process, each with a store object open(location)
/// opens. A killed agent's thread is told to stop, and makes no call after the one it is
/// making: as if its process had died there.
template <StoreOpener Open>
class ThreadCrew {
public:
    ThreadCrew(const Open& open, std::string_view location, const PodFailurePlan& plan)
        : open_(open), location_(location), plan_(plan)
    {
    }

    std::size_t start_pod_agent(const std::string& pod_id, bool doomed)
    {
        start(pods_, [this, pod_id, doomed](auto& store, std::stop_token stop, const auto& note) {
            run_pod_agent(store, pod_id, doomed, plan_, [&stop] { return !stop.stop_requested(); }, note);
        });
        return pods_.size() - 1;
    }

    std::string journal(std::size_t pod) { return pods_[pod].text(); }

    void kill(std::size_t pod) { pods_[pod].thread.request_stop(); }

    /// 0 once the agent's thread has ended, none while it runs.
    std::optional<int> ended(std::size_t pod)
    {
        Member& member = pods_[pod];
        if (!member.done) {
            return std::nullopt;
        }
        member.thread.join();
        return 0;
    }

    void start_rescuers()
    {
        for (int r = 0; r < plan_.rescuers; ++r) {
            start(rescuers_, [this](auto& store, std::stop_token stop, const auto& note) {
                run_rescuer(store, plan_, [&stop] { return !stop.stop_requested(); }, note);
            });
        }
    }

    std::vector<std::string> stop_rescuers()
    {
        std::vector<std::string> journals;
        for (Member& member : rescuers_) {
            member.thread.request_stop();
            member.thread.join();
            journals.push_back(member.text());
        }
        return journals;
    }

private:
    /// An agent or rescuer: its journal, and its thread, declared last so that it is
    /// joined before the journal goes.
    struct Member {
        std::mutex mutex;
        std::string journal;
        std::atomic<bool> done{false};
        std::jthread thread;

        void note(const std::string& line)
        {
            const std::lock_guard lock{mutex};
            journal += line + '\n';
        }
        std::string text()
        {
            const std::lock_guard lock{mutex};
            return journal;
        }
    };

    template <class Role>
    void start(std::deque<Member>& members, Role role)
    {
        Member& member = members.emplace_back();
        member.thread = std::jthread([this, &member, role](std::stop_token stop) {
            const auto note = [&member](const std::string& line) { member.note(line); };
            if (auto store = open_(location_)) {
                role(*store, stop, note);
            } else {
                note(failure_line("cannot open " + location_));
            }
            member.done = true;
        });
    }

    const Open& open_;
    std::string location_;
    PodFailurePlan plan_;
    // Last, so that their threads are joined before what they use goes.
    std::deque<Member> pods_;
    std::deque<Member> rescuers_;
};

} // namespace pod_dispatcher::testing::detail

#endif
