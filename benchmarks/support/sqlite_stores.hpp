#ifndef POD_DISPATCHER_BENCH_SQLITE_STORES_HPP
#define POD_DISPATCHER_BENCH_SQLITE_STORES_HPP

// The SqliteStores the benchmarks measure (examples/sqlite), each on a file of its own
// where the SQLite tests keep theirs: in memory where the system has /dev/shm, so that the
// rows measure SQLite's work rather than the disk's syncs. Built where SQLite 3 is found.

#include "support/written.hpp"

#include "elsewhere.hpp"     // tests/sqlite
#include "scratch_store.hpp" // tests/sqlite

#include <memory>
#include <vector>

namespace pod_dispatcher::bench {

/// A SqliteStore on a new file, deleted with the store.
inline std::unique_ptr<sqlite_test::ScratchStore> scratch_sqlite_store()
{
    return std::make_unique<sqlite_test::ScratchStore>(sqlite_test::scratch_parent());
}

/// A SqliteStore on a new file that counts the rows written to each of its tables, as the
/// SQLite tests do: with triggers, which every write then also runs.
class RowCountingSqliteStore : public sqlite_test::ScratchStore {
public:
    RowCountingSqliteStore() : ScratchStore(sqlite_test::scratch_parent())
    {
        for (const char* table :
             {"dispatcher_queue", "dispatcher_pods", "pod_dispatchers", "tasks", "pods", "events"}) {
            counters_.emplace_back(database(), table);
        }
    }

    Written written() const
    {
        Written written;
        for (const sqlite_test::RowsWritten& rows : counters_) {
            written.emplace_back(rows.table(), rows());
        }
        return written;
    }

private:
    std::vector<sqlite_test::RowsWritten> counters_;
};

} // namespace pod_dispatcher::bench

#endif
