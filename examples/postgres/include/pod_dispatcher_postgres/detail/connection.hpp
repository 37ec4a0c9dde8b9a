#ifndef POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_HPP

// One libpq connection: its prepared statements, its transaction, the statements it holds
// back for its next round trip, and how PostgreSQL's errors (SQLSTATE) become
// pod_dispatcher errors.
//
// Each wait for the server costs the network's latency, so a connection sends as much as
// it can in each round trip (pipeline.hpp). A statement whose rows the caller needs runs
// at once (run), taking along, ahead of it, every statement held back until then (defer,
// execute): BEGIN, SAVEPOINT and RELEASE, and the writes whose outcome the unit already
// knows. COMMIT takes the last of them. The server runs them all in the order the unit
// asked, so each read sees the unit's own writes, and nothing the unit decides on is left
// unknown: a write is held back only when it can fail only as the backend fails (its
// guard was checked under a row lock the unit holds, and it breaks no unique index). If
// one fails after all, the member that asked for it has returned success, so the unit
// fails whole: commit() refuses it. A statement is prepared the first time the connection
// sends it, in the same round trip.

#include <pod_dispatcher_postgres/detail/pipeline.hpp>
#include <pod_dispatcher_postgres/detail/remembered_reads.hpp>
#include <pod_dispatcher_postgres/detail/statement.hpp>
#include <pod_dispatcher_postgres/options.hpp>

#include <pod_dispatcher_sql/error_log.hpp>

#include <pod_dispatcher/error.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pod_dispatcher_postgres::detail {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// What the connections of one store report, shared by all of them: the last failure's
/// message, and how many round trips they made.
class ConnectionLog : public pod_dispatcher_sql::ErrorLog {
public:
    void count_round_trip() noexcept { round_trips_.fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t round_trips() const noexcept { return round_trips_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> round_trips_ = 0;
};

/// A statement to run and wait for.
struct Statement {
    const std::string& sql;
    const Params& params;
};

class Connection {
public:
    /// Connects to the database conninfo names (a libpq connection string or URI), in the
    /// options' schema.
    static Result<std::unique_ptr<Connection>> open(const std::string& conninfo, const PostgresStoreOptions& options,
                                                    ConnectionLog& log)
    {
        // libpq hands out a connection object even when connecting fails; ours closes it.
        std::unique_ptr<Connection> connection{new Connection(PQconnectdb(conninfo.c_str()), options, log)};
        if (connection->conn_ == nullptr || PQstatus(connection->conn_) != CONNECTION_OK) {
            return connection->broken();
        }
        // The server's notices ("already exists, skipping") are no failure; keep them quiet.
        PQsetNoticeProcessor(connection->conn_, [](void*, const char*) {}, nullptr);
        if (!options.schema.empty()) {
            connection->defer("SET search_path TO " + connection->identifier(options.schema), Params{});
        }
        connection->defer(index_scans_only, Params{});
        // Run at once, with the settings held back: a unit that fails drops what waits, unsent.
        BOOST_OUTCOME_TRY(connection->run(commits_in_the_log, Params{}));
        return connection;
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { PQfinish(conn_); }

    /// A server set to acknowledge commits before its log holds them (synchronous_commit
    /// off) forgets the last ones when it crashes, and would hand their tasks out again: our
    /// commits wait for the server's own log (local) on such a server, and keep any
    /// stronger setting.
    static constexpr const char* commits_in_the_log =
        "SELECT set_config('synchronous_commit', 'local', false) WHERE current_setting('synchronous_commit') = 'off'";

    /// Every statement of the store reads a few rows through an index: a row by its id, or
    /// the front of a queue, in order, up to a limit. Planned while a table is small (as a
    /// new one is until it is analyzed), a bitmap scan would read a whole queue and sort it
    /// to take its first row, at every dispatch; without bitmap scans the plan walks the
    /// index in order and stops at the limit.
    static constexpr const char* index_scans_only = "SET enable_bitmapscan = off";

    /// Runs sql with params and waits for its rows: one round trip, which takes along the
    /// statements held back before it.
    Result<Rows> run(const std::string& sql, const Params& params)
    {
        const Statement statement{sql, params};
        BOOST_OUTCOME_TRY(auto answers, round_trip({&statement, 1}));
        return std::move(answers.front());
    }

    /// Runs statements in order and waits for the rows of each: one round trip, as run.
    Result<std::vector<Rows>> run(std::initializer_list<Statement> statements) { return round_trip(statements); }

    /// Holds sql, with params, back for the next round trip: a write whose rows nobody
    /// reads, that can fail only as the backend fails (the rows it writes are locked by
    /// the unit, and it breaks no unique index). If it fails after all, the unit fails.
    void defer(const std::string& sql, Params params) { deferred_.push_back(Deferred{sql, std::move(params)}); }

    /// Holds sql, which takes no parameters (BEGIN, SAVEPOINT), back for the next round
    /// trip, as defer does.
    Result<void> execute(const std::string& sql)
    {
        defer(sql, Params{});
        return boost::outcome_v2::success();
    }

    /// Forgets any failure of the last unit, and what it read: one that begins now fails,
    /// or may be rerun, only for its own. It remembers the documents it reads when
    /// remember_reads.
    void start_unit(bool remember_reads)
    {
        rerun_ = false;
        deferred_failed_ = false;
        reads_.start(remember_reads);
    }

    /// The documents the unit under way has read or written.
    RememberedReads& reads() noexcept { return reads_; }

    /// Whether a statement failed, since start_unit, because PostgreSQL gave up the
    /// transaction for another one beside it: a failure a rerun may get past.
    bool worth_a_rerun() const noexcept { return rerun_; }

    /// Commits the transaction, taking along what waits: one round trip.
    /// Errc::store_unavailable when a statement of it failed: a held-back write, or one
    /// the unit went on after, which PostgreSQL answers with a rollback it calls a commit.
    Result<void> commit()
    {
        static const std::string commit_sql = "COMMIT";
        if (!deferred_failed_) {
            BOOST_OUTCOME_TRY(const auto done, run(commit_sql, Params{}));
            if (done.command() == "COMMIT") {
                return boost::outcome_v2::success();
            }
        }
        log_.record("a statement of the transaction failed before its commit");
        return Errc::store_unavailable;
    }

    /// Undoes the transaction, if there is one; what waits is dropped, never sent.
    void rollback()
    {
        static const std::string rollback_sql = "ROLLBACK";
        deferred_.clear();
        if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
            (void)run(rollback_sql, Params{});
        }
    }

    /// Whether the connection works, is between transactions and holds nothing back: fit
    /// to serve another unit. It first reads, without waiting, what the server sent
    /// meanwhile: a server that was stopped (or restarted) since has closed the connection,
    /// which is then found broken here rather than by the next unit's first statement.
    bool idle() noexcept
    {
        read_unasked();
        return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
               PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && deferred_.empty();
    }

    /// Errc::store_unavailable for stored data the store cannot read, with what it was.
    Errc malformed(std::string_view what)
    {
        log_.record("malformed stored data: " + std::string(what));
        return Errc::store_unavailable;
    }

    /// name quoted as an SQL identifier.
    std::string identifier(const std::string& name)
    {
        char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
        std::string result = quoted == nullptr ? "\"\"" : quoted;
        PQfreemem(quoted);
        return result;
    }

private:
    /// A statement held back for the next round trip.
    struct Deferred {
        std::string sql;
        Params params;
    };

    /// What the answer to a step of a round trip is for.
    struct Step {
        std::string_view prepared; ///< The statement this step prepares; empty for one that runs.
        bool waited_for;           ///< Of a statement the caller waits for, not a held-back one.
    };

    Connection(PGconn* conn, const PostgresStoreOptions& options, ConnectionLog& log) noexcept
        : conn_(conn), before_statement_(options.before_statement), log_(log)
    {
    }

    /// Sends what waits and then waited_for, in one round trip; the rows of waited_for.
    Result<std::vector<Rows>> round_trip(std::span<const Statement> waited_for)
    {
        const std::vector<Deferred> deferred = std::exchange(deferred_, {});
        Pipeline pipeline{conn_};
        std::vector<Step> steps;
        for (const Deferred& d : deferred) {
            send(pipeline, steps, Statement{d.sql, d.params}, false);
        }
        for (const Statement& statement : waited_for) {
            send(pipeline, steps, statement, true);
        }
        if (!pipeline.sync()) {
            return broken();
        }
        log_.count_round_trip();
        return answers(pipeline, steps);
    }

    /// Sends statement, preparing it first if this connection has not.
    void send(Pipeline& pipeline, std::vector<Step>& steps, const Statement& statement, bool waited_for)
    {
        auto found = statements_.find(statement.sql);
        if (found == statements_.end()) {
            found = statements_.emplace(statement.sql, "pod_dispatcher_" + std::to_string(next_name_++)).first;
            pipeline.prepare(found->second, statement.sql, statement.params.size());
            steps.push_back(Step{found->first, waited_for});
        }
        if (before_statement_) {
            before_statement_(statement.sql);
        }
        pipeline.execute(found->second, statement.params);
        steps.push_back(Step{{}, waited_for});
    }

    /// The rows of the steps waited for, or the first failure.
    Result<std::vector<Rows>> answers(Pipeline& pipeline, std::span<const Step> steps)
    {
        std::vector<Rows> rows;
        std::optional<Errc> failure;
        for (const Step& step : steps) {
            PGresult* answer = pipeline.answer();
            if (answer == nullptr) {
                return broken();
            }
            Rows result{answer};
            if (!result.succeeded()) {
                // Failed, or skipped after a failure: not prepared after all.
                if (!step.prepared.empty()) {
                    statements_.erase(std::string(step.prepared));
                }
                failure = failure ? failure : failed(result, step.waited_for);
            }
            if (step.prepared.empty() && step.waited_for) {
                rows.push_back(std::move(result));
            }
        }
        if (!pipeline.finish()) {
            return broken();
        }
        if (failure) {
            return *failure;
        }
        return rows;
    }

    /// The error for a step that failed, its message recorded. A held-back write's member
    /// has returned success: the unit may no longer commit.
    Errc failed(const Rows& failure, bool waited_for)
    {
        log_.record(failure.error_message());
        const std::string_view sqlstate = failure.sqlstate();
        // serialization_failure, deadlock_detected: the transaction lost to another.
        rerun_ = rerun_ || sqlstate == "40001" || sqlstate == "40P01";
        deferred_failed_ = deferred_failed_ || !waited_for;
        return waited_for && sqlstate == "23505" ? Errc::duplicate_key : Errc::store_unavailable; // unique_violation
    }

    /// Reads what the server sent unasked. Between transactions nothing is expected, but
    /// a server that stops says why and hangs up: libpq finds the connection broken only
    /// on reading the end, which may take more than one read.
    void read_unasked() noexcept
    {
        for (int reads = 0; reads < 4 && PQstatus(conn_) == CONNECTION_OK && readable(); ++reads) {
            (void)PQconsumeInput(conn_);
        }
    }

    /// Whether the connection's socket has something to read (or its end), without waiting.
    bool readable() const noexcept
    {
        pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
        return ::poll(&socket, 1, 0) == 1;
    }

    /// The error for a connection that failed or was lost, its message recorded.
    Errc broken()
    {
        log_.record(conn_ == nullptr ? "out of memory" : PQerrorMessage(conn_));
        return Errc::store_unavailable;
    }

    PGconn* conn_;
    const std::function<void(std::string_view)>& before_statement_;
    ConnectionLog& log_;
    /// The name each statement is prepared under on this connection. Prepared statements
    /// belong to the session, so they outlive a rolled-back transaction.
    std::unordered_map<std::string, std::string> statements_;
    std::uint64_t next_name_ = 0;
    std::vector<Deferred> deferred_;
    RememberedReads reads_;
    bool rerun_ = false;
    bool deferred_failed_ = false;
};

} // namespace pod_dispatcher_postgres::detail

#endif
