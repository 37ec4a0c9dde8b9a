#ifndef POD_DISPATCHER_TESTS_SQL_CRASH_WORKER_MAIN_HPP
#define POD_DISPATCHER_TESTS_SQL_CRASH_WORKER_MAIN_HPP

// The process the crash tests kill: runs one operation of crash_world.hpp on a database,
// and kills itself with SIGKILL just before the operation's k-th SQL statement, as a
// crash there would.
//
//   WORKER LOCATION OPERATION K
//
// K = 0 kills nothing. Exits 0 when the operation succeeded, 1 when it failed, 2 when
// called wrongly.

#include "crash_world.hpp"

#include <pod_dispatcher/error.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace crash_test {

/// The worker's main, on the store open(location, options) opens (a Result of it); Options
/// has a before_statement hook.
template <class Options, class Open>
int crash_worker_main(int argc, char** argv, Open open)
{
    using S = typename std::invoke_result_t<Open&, std::string_view, Options>::value_type;
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s LOCATION OPERATION K\n", argv[0]);
        return 2;
    }
    const Operation<S>* operation = operation_named<S>(argv[2]);
    if (operation == nullptr) {
        std::fprintf(stderr, "no operation named %s\n", argv[2]);
        return 2;
    }
    const long kill_at = std::stol(argv[3]);
    bool started = false;
    long statements = 0;
    Options options;
    options.before_statement = [&](std::string_view) {
        if (started && ++statements == kill_at) {
            std::raise(SIGKILL);
        }
    };
    auto store = open(std::string_view(argv[1]), std::move(options));
    if (!store) {
        std::fprintf(stderr, "cannot open %s: %s\n", argv[1], store.error().message().c_str());
        return 1;
    }
    started = true;
    const auto done = operation->run(store.value());
    if (!done) {
        std::fprintf(stderr, "%s failed: %s (%s)\n", argv[2], done.error().message().c_str(),
                     store.value().last_error_message().c_str());
        return 1;
    }
    return 0;
}

} // namespace crash_test

#endif
