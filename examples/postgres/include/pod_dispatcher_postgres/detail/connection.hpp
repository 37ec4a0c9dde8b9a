#ifndef POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_HPP

// One libpq connection: its prepared statements, its transaction, and how PostgreSQL's
// errors (SQLSTATE) become pod_dispatcher errors. Parameters and results travel in binary
// where they hold bytes, so ids need neither escaping nor valid UTF-8.

#include <pod_dispatcher_postgres/detail/binary.hpp>
#include <pod_dispatcher_postgres/options.hpp>

#include <pod_dispatcher_sql/error_log.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

/// The parameters of one statement, $1 first. Bytes go in binary (a bytea as it is);
/// numbers and words as text, which the server reads as the type it inferred.
class Params {
public:
    Params& bytes(std::string_view b) { return add(std::string(b), binary); }
    Params& text(std::string_view t) { return add(std::string(t), textual); }
    Params& integer(std::int64_t n) { return add(std::to_string(n), textual); }
    /// t in milliseconds since the epoch; an unset time is 0.
    Params& time(pod_dispatcher::Timestamp t) { return integer(t.time_since_epoch().count()); }
    Params& boolean(bool b) { return add(b ? "t" : "f", textual); }
    Params& null()
    {
        add({}, textual);
        nulls_.back() = true;
        return *this;
    }
    /// ids as one bytea[].
    Params& byte_strings(const std::vector<std::string>& ids) { return add(byte_string_array(ids), binary); }

    int size() const noexcept { return static_cast<int>(values_.size()); }

private:
    friend class Connection;
    static constexpr int textual = 0;
    static constexpr int binary = 1;

    Params& add(std::string value, int format)
    {
        values_.push_back(std::move(value));
        formats_.push_back(format);
        nulls_.push_back(false);
        return *this;
    }

    std::vector<std::string> values_;
    std::vector<int> formats_;
    std::vector<bool> nulls_;
};

/// The rows a statement returned, in binary.
class Rows {
public:
    explicit Rows(PGresult* result) noexcept : result_(result, &PQclear) {}

    int size() const noexcept { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const noexcept { return PQgetisnull(result_.get(), row, column) != 0; }

    /// A column as it is sent (bytea: the bytes), valid while the rows live.
    std::string_view bytes(int row, int column) const noexcept
    {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }

    std::optional<std::int64_t> bigint(int row, int column) const noexcept { return bigint_of(bytes(row, column)); }

    std::optional<std::vector<std::string>> byte_strings(int row, int column) const
    {
        return byte_strings_of(bytes(row, column));
    }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
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
            BOOST_OUTCOME_TRY(connection->execute("SET search_path TO " + connection->identifier(options.schema)));
        }
        BOOST_OUTCOME_TRY(connection->execute(commits_in_the_log));
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

    /// Runs sql, prepared once per connection, with params.
    Result<Rows> run(const std::string& sql, const Params& params)
    {
        BOOST_OUTCOME_TRY(const std::string* name, prepared(sql, params.size()));
        std::vector<const char*> values;
        std::vector<int> lengths;
        for (std::size_t i = 0; i < params.values_.size(); ++i) {
            values.push_back(params.nulls_[i] ? nullptr : params.values_[i].data());
            lengths.push_back(static_cast<int>(params.values_[i].size()));
        }
        starting(sql);
        return checked(PQexecPrepared(conn_, name->c_str(), params.size(), values.data(), lengths.data(),
                                      params.formats_.data(), 1));
    }

    /// Runs sql, which takes no parameters and returns no rows we read (BEGIN, SAVEPOINT).
    Result<void> execute(const std::string& sql)
    {
        starting(sql);
        BOOST_OUTCOME_TRY(checked(PQexec(conn_, sql.c_str())));
        return boost::outcome_v2::success();
    }

    /// Forgets any failure of the last unit: one that begins now may be rerun only for its own.
    void start_unit() noexcept { rerun_ = false; }

    /// Whether a statement failed, since start_unit, because PostgreSQL gave up the
    /// transaction for another one beside it: a failure a rerun may get past.
    bool worth_a_rerun() const noexcept { return rerun_; }

    /// Commits the transaction; Errc::store_unavailable when a statement of it failed, which
    /// PostgreSQL would answer with a rollback it calls a commit.
    Result<void> commit()
    {
        if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
            log_.record("a statement of the transaction failed before its commit");
            return Errc::store_unavailable;
        }
        return execute("COMMIT");
    }

    /// Undoes the transaction, if there is one.
    void rollback()
    {
        if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
            (void)execute("ROLLBACK");
        }
    }

    /// Whether the connection works and is between transactions, fit to serve another unit.
    /// It first reads, without waiting, what the server sent meanwhile: a server that was
    /// stopped (or restarted) since has closed the connection, which is then found broken
    /// here rather than by the next unit's first statement.
    bool idle() noexcept
    {
        read_unasked();
        return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
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
    Connection(PGconn* conn, const PostgresStoreOptions& options, ConnectionLog& log) noexcept
        : conn_(conn), before_statement_(options.before_statement), log_(log)
    {
    }

    void starting(std::string_view sql)
    {
        if (before_statement_) {
            before_statement_(sql);
        }
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

    /// The name sql is prepared under on this connection, preparing it the first time.
    /// Prepared statements belong to the session, so they outlive a rolled-back transaction.
    Result<const std::string*> prepared(const std::string& sql, int parameters)
    {
        auto found = statements_.find(sql);
        if (found == statements_.end()) {
            std::string name = "pod_dispatcher_" + std::to_string(statements_.size());
            BOOST_OUTCOME_TRY(checked(PQprepare(conn_, name.c_str(), sql.c_str(), parameters, nullptr)));
            found = statements_.emplace(sql, std::move(name)).first;
        }
        return &found->second;
    }

    /// result's rows, or the error it reports.
    Result<Rows> checked(PGresult* result)
    {
        log_.count_round_trip();
        Rows rows{result};
        switch (PQresultStatus(result)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK: return rows;
        default: break;
        }
        if (result == nullptr) {
            return broken();
        }
        log_.record(PQresultErrorMessage(result));
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        const std::string_view sqlstate = state == nullptr ? "" : state;
        if (sqlstate == "23505") { // unique_violation
            return Errc::duplicate_key;
        }
        // serialization_failure, deadlock_detected: the transaction lost to another.
        rerun_ = rerun_ || sqlstate == "40001" || sqlstate == "40P01";
        return Errc::store_unavailable;
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
    std::unordered_map<std::string, std::string> statements_;
    bool rerun_ = false;
};

} // namespace pod_dispatcher_postgres::detail

#endif
