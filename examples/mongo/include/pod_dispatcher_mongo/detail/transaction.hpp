#ifndef POD_DISPATCHER_MONGO_DETAIL_TRANSACTION_HPP
#define POD_DISPATCHER_MONGO_DETAIL_TRANSACTION_HPP

// A unit of work as a multi-document transaction (TransactionMode::transactions).

#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>

#include <mongoc/mongoc.h>

#include <chrono>

namespace pod_dispatcher_mongo::detail {

/// Runs work in a transaction on one session, retrying the whole of it on a
/// TransientTransactionError and the commit on an UnknownTransactionCommitResult, as the
/// drivers' transaction specification asks, for up to a minute.
template <class Work>
Result<void> run_transaction(Connection& connection, Work& work)
{
    PooledClient client{connection.pool()};
    bson_error_t error;
    SessionPtr session{mongoc_client_start_session(client.get(), nullptr, &error)};
    if (!session) {
        return connection.fail(error, nullptr);
    }
    ActiveUnit unit{.client = client.get(), .session = session.get()};
    const UnitScope scope{&connection, unit};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    const auto may_retry = [&] { return std::chrono::steady_clock::now() < deadline; };
    for (;;) {
        unit.transient_error = false;
        if (!mongoc_client_session_start_transaction(session.get(), nullptr, &error)) {
            return connection.fail(error, nullptr);
        }
        auto done = work();
        if (!done) {
            (void)mongoc_client_session_abort_transaction(session.get(), &error);
            if (unit.transient_error && may_retry()) {
                continue;
            }
            return done;
        }
        for (;;) {
            Bson reply;
            if (mongoc_client_session_commit_transaction(session.get(), reply.out(), &error)) {
                return boost::outcome_v2::success();
            }
            connection.record(error.message);
            if (!mongoc_error_has_label(reply.get(), "UnknownTransactionCommitResult") || !may_retry()) {
                if (mongoc_error_has_label(reply.get(), "TransientTransactionError") && may_retry()) {
                    break; // run the whole of work again
                }
                return Errc::store_unavailable;
            }
        }
    }
}

} // namespace pod_dispatcher_mongo::detail

#endif
