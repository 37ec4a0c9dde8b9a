#ifndef POD_DISPATCHER_MONGO_DETAIL_SERVER_SETUP_HPP
#define POD_DISPATCHER_MONGO_DETAIL_SERVER_SETUP_HPP

// What a store does on first contact with its server: creates the indexes it needs and
// finds out what the server supports.

#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <boost/outcome/try.hpp>

#include <mongoc/mongoc.h>

#include <cstdint>
#include <string>

namespace pod_dispatcher_mongo::detail {

class ServerSetup {
public:
    explicit ServerSetup(Connection& connection) : c_(connection) {}

    /// Creates the indexes and detects the server's capabilities (seven or eight round trips).
    Result<Capabilities> run()
    {
        BOOST_OUTCOME_TRY(create_index("pod_dispatchers", BsonPtr{BCON_NEW("key", "{", "group_id", BCON_INT32(1), "}",
                                                                           "name", BCON_UTF8("group_id_1"), "unique",
                                                                           BCON_BOOL(true))}));
        // An empty pod_ids must not count as a value, or two dispatchers without pods
        // would collide: the index holds only documents that hold a pod.
        BOOST_OUTCOME_TRY(auto pods_unique,
                          try_create_index("pod_dispatchers",
                                           BsonPtr{BCON_NEW("key", "{", "pod_ids", BCON_INT32(1), "}", "name",
                                                            BCON_UTF8("pod_ids_1"), "unique", BCON_BOOL(true),
                                                            "partialFilterExpression", "{", "pod_ids", "{", "$type",
                                                            BCON_UTF8("string"), "}", "}")}));
        BOOST_OUTCOME_TRY(create_index("events", BsonPtr{BCON_NEW("key", "{", "resource_id", BCON_INT32(1), "}",
                                                                  "name", BCON_UTF8("resource_id_1"))}));
        // find_pods: the pods of one status heard from before a time (rescue_stale_pods).
        BOOST_OUTCOME_TRY(create_index("pods", BsonPtr{BCON_NEW("key", "{", "status", BCON_INT32(1),
                                                                "last_communicated", BCON_INT32(1), "}", "name",
                                                                BCON_UTF8("status_1_last_communicated_1"))}));
        BOOST_OUTCOME_TRY(auto slice, understands_slice_projection());
        BOOST_OUTCOME_TRY(auto mode, detect_mode());
        BOOST_OUTCOME_TRY(auto ferretdb, is_ferretdb());
        return Capabilities{.mode = mode,
                            .unique_pod_index = pods_unique,
                            .slice_projection = slice,
                            .atomic_updates = !ferretdb,
                            .positional_push = !ferretdb};
    }

private:
    static BsonPtr create_indexes_command(const char* collection, const BsonPtr& index)
    {
        return BsonPtr{BCON_NEW("createIndexes", BCON_UTF8(collection), "indexes", "[", BCON_DOCUMENT(index.get()), "]")};
    }

    /// Creates an index the store needs; the server refusing it is an error.
    Result<void> create_index(const char* collection, const BsonPtr& index)
    {
        return c_.command(c_.database().c_str(), create_indexes_command(collection, index).get(),
                          [&](bool done, const bson_error_t& error, const bson_t* reply) -> Result<void> {
                              if (!done) {
                                  return c_.fail(error, reply);
                              }
                              return boost::outcome_v2::success();
                          });
    }

    /// Creates an index the server may not support; reports whether it did.
    Result<bool> try_create_index(const char* collection, const BsonPtr& index)
    {
        bool created = false;
        BOOST_OUTCOME_TRY(c_.command(c_.database().c_str(), create_indexes_command(collection, index).get(),
                                     [&](bool done, const bson_error_t& error, const bson_t*) -> Result<void> {
                                         BOOST_OUTCOME_TRY(created, accepted(done, error));
                                         return boost::outcome_v2::success();
                                     }));
        return created;
    }

    /// Whether the server accepted a command: refusing it (a server error) is false;
    /// failing to reach the server is an error.
    Result<bool> accepted(bool done, const bson_error_t& error)
    {
        if (!done && error.domain != MONGOC_ERROR_SERVER) {
            return c_.fail(error, nullptr);
        }
        return done;
    }

    Result<bool> understands_slice_projection()
    {
        const BsonPtr probe{BCON_NEW("find", BCON_UTF8("pod_dispatchers"), "filter", "{", "_id", BCON_UTF8(""), "}",
                                     "limit", BCON_INT64(1), "projection", "{", "task_ids", "{", "$slice",
                                     BCON_INT32(1), "}", "}")};
        bool understood = false;
        BOOST_OUTCOME_TRY(c_.command(c_.database().c_str(), probe.get(),
                                     [&](bool done, const bson_error_t& error, const bson_t*) -> Result<void> {
                                         BOOST_OUTCOME_TRY(understood, accepted(done, error));
                                         return boost::outcome_v2::success();
                                     }));
        return understood;
    }

    /// FerretDB names itself in buildInfo. Its updates (1.x, SQLite backend) read the
    /// documents the filter matches, then write each back whole by _id; its $push ignores
    /// $position.
    Result<bool> is_ferretdb()
    {
        bool ferretdb = false;
        const BsonPtr build_info{BCON_NEW("buildInfo", BCON_INT32(1))};
        const auto read_reply = [&](bool done, const bson_error_t& error, const bson_t* reply) {
            if (!done) {
                return Result<void>{c_.fail(error, reply)};
            }
            bson_iter_t it;
            ferretdb = bson_iter_init_find(&it, reply, "ferretdbVersion");
            return Result<void>{boost::outcome_v2::success()};
        };
        BOOST_OUTCOME_TRY(c_.command("admin", build_info.get(), read_reply));
        return ferretdb;
    }

    /// Transactions need a replica set or a sharded cluster (hello's setName, or msg
    /// "isdbgrid"), and a server that implements them: some servers that speak the
    /// protocol report a set name yet ignore transactions, so the store also checks that
    /// the server knows commitTransaction.
    Result<TransactionMode> detect_mode()
    {
        bool replicated = false;
        const BsonPtr hello{BCON_NEW("hello", BCON_INT32(1))};
        BOOST_OUTCOME_TRY(c_.command("admin", hello.get(), [&](bool done, const bson_error_t& error, const bson_t* reply) {
            if (!done) {
                return Result<void>{c_.fail(error, reply)};
            }
            bson_iter_t it;
            std::string msg;
            replicated = bson_iter_init_find(&it, reply, "setName") ||
                         (bson_iter_init_find(&it, reply, "msg") && get(&it, msg) && msg == "isdbgrid");
            return Result<void>{boost::outcome_v2::success()};
        }));
        if (!replicated) {
            return TransactionMode::claims;
        }
        bool known = true;
        const BsonPtr commit{BCON_NEW("commitTransaction", BCON_INT32(1))};
        BOOST_OUTCOME_TRY(c_.command("admin", commit.get(), [&](bool done, const bson_error_t& error, const bson_t*) {
            constexpr std::uint32_t command_not_found = 59;
            known = done || error.domain != MONGOC_ERROR_SERVER || error.code != command_not_found;
            return Result<void>{boost::outcome_v2::success()};
        }));
        return known ? TransactionMode::transactions : TransactionMode::claims;
    }

    Connection& c_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
