#ifndef POD_DISPATCHER_MONGO_OPTIONS_HPP
#define POD_DISPATCHER_MONGO_OPTIONS_HPP

// How a MongoStore is set up, and what it guarantees for a unit of work.

#include <functional>
#include <string>
#include <string_view>

namespace pod_dispatcher_mongo {

/// How MongoStore::atomically keeps a unit of work together; see the README.
enum class TransactionMode {
    /// A multi-document transaction: all of the work's writes, or none.
    transactions,
    /// No transactions on this server: each write is atomic and conditional on its own,
    /// and the writes of a failed unit of work are not rolled back.
    no_transactions,
};

/// What the store found out about its server on first use.
struct Capabilities {
    TransactionMode mode = TransactionMode::no_transactions;
    /// A unique multikey index keeps each pod in one dispatcher. Without it (FerretDB),
    /// a write that sets pods first reads the dispatchers holding them: one more round
    /// trip, and without transactions a concurrent write may slip in between.
    bool unique_pod_index = false;
    /// The server projects a slice of an array, so find_dispatcher reads only the head of
    /// a queue. Without it (FerretDB) the store reads the whole queue and cuts it.
    bool slice_projection = false;

    bool operator==(const Capabilities&) const = default;
};

struct MongoStoreOptions {
    /// The database holding the collections; empty: the URI's database, else "pod_dispatcher".
    std::string database;
    /// Called with the name of every command the store sends, before it is sent (e.g.
    /// to count round trips). Called on the sending thread; must not call the store.
    std::function<void(std::string_view command_name)> on_command_started;
    /// Drops the database when the store is destroyed; for tests.
    bool drop_database_on_destruction = false;
};

} // namespace pod_dispatcher_mongo

#endif
