#ifndef POD_DISPATCHER_MONGO_OPTIONS_HPP
#define POD_DISPATCHER_MONGO_OPTIONS_HPP

// How a MongoStore is set up, and what it guarantees for a unit of work.

#include <pod_dispatcher/retry.hpp>

#include <bson/bson.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace pod_dispatcher_mongo {

/// How MongoStore keeps units of work apart and together; the README says what holds in
/// each mode.
enum class TransactionMode {
    /// Multi-document transactions (a replica set or sharded cluster): a unit of work's
    /// writes are all kept or none, and other clients see all of them or none.
    transactions,
    /// No transactions on this server: each unit of work claims each dispatcher it reads,
    /// at the count it read, so that one unit at a time, in any process, writes the
    /// dispatcher's queue, tasks and pods and moves it on. Every task goes out at most
    /// once. A unit that fails takes back what it wrote, unless the store lost the server
    /// or the process died part way (rolls_back() is false).
    claims,
};

/// What the store found out about its server on first use.
struct Capabilities {
    TransactionMode mode = TransactionMode::claims;
    /// A unique multikey index keeps each pod in one dispatcher. Without it (FerretDB),
    /// a write that adds pods first reads the dispatchers holding them.
    bool unique_pod_index = false;
    /// The server projects a slice of an array, so find_dispatcher reads only the head of
    /// a queue. Without it (FerretDB) the store reads the whole queue and cuts it.
    bool slice_projection = false;
    /// The server checks an update's filter and writes the document in one step. Where it
    /// does not (FerretDB), a guarded write of a task or pod has the store check the guard
    /// against the document as its unit of work last read it, or reads it first, and write
    /// by _id: no less atomic there, and far faster, since such a server looks up by _id
    /// alone and reads every document to match any other filter.
    bool atomic_updates = true;
    /// The server puts the ids of a $push at the index its $position names. Where it does
    /// not (FerretDB 1.x appends them, ignoring $position), an id queued before the back
    /// is written with the ids it moves back: a $set of the queue from that index on.
    bool positional_push = true;

    bool operator==(const Capabilities&) const = default;
};

/// A command the store is about to send, as MongoStoreOptions::on_command_started sees it.
struct StartedCommand {
    std::string_view name; ///< "find", "insert", "update", ...
    const bson_t& body;    ///< The whole command; it may quote stored ids.
};

struct MongoStoreOptions {
    /// The database holding the collections; empty: the URI's database, else "pod_dispatcher".
    std::string database;
    /// Called with every command the store sends, before it is sent (e.g. to count round
    /// trips, or log what a write changes). Called on the sending thread; must not call
    /// the store.
    std::function<void(const StartedCommand& command)> on_command_started;
    /// Drops the database when the store is destroyed; for tests.
    bool drop_database_on_destruction = false;
    /// TransactionMode::claims: how long a claim keeps other units off a dispatcher when
    /// its holder has stopped (died, or lost the server) part way through a unit. A unit
    /// writes nothing in the last quarter of its claim's lease; clocks of the machines
    /// sharing a database must agree to well within a quarter of it.
    std::chrono::milliseconds claim_lease{30'000};
    /// The random wait before an operation retries a conflict, unless its RetryPolicy
    /// says otherwise: up to as long as the try that lost took (2 ms at least), doubling
    /// each retry, up to a second. A unit costs several round trips, and callers that lost
    /// a race on one dispatcher must spread out over a few units' time rather than
    /// collide again, for as long as the winners keep it busy.
    pod_dispatcher::Backoff conflict_backoff{std::chrono::milliseconds(2), std::chrono::seconds(1)};
};

} // namespace pod_dispatcher_mongo

#endif
