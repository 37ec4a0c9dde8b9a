#ifndef POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_HPP

// One SQLite connection: its prepared statements, its transaction, and how SQLite's result
// codes become pod_dispatcher errors.

#include <pod_dispatcher_sqlite/options.hpp>

#include <pod_dispatcher_sql/error_log.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace pod_dispatcher_sqlite::detail {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

using pod_dispatcher_sql::ErrorLog;

/// What a unit of work may do: a read transaction never waits for writers (WAL); a write
/// transaction takes the database's one write lock at its start (BEGIN IMMEDIATE), so it
/// never fails half way for want of it.
enum class Access { read, write };

class Connection;

/// One run of a prepared statement: parameters bound in order, then rows read in place.
/// Reset when it goes out of scope, ready for the next run. A statement text is prepared
/// once per connection, so a run must end before the same text runs again.
class Statement {
public:
    Statement(Connection& connection, sqlite3_stmt* stmt) noexcept : connection_(&connection), stmt_(stmt) {}
    Statement(Statement&& other) noexcept
        : connection_(other.connection_), stmt_(std::exchange(other.stmt_, nullptr)),
          next_parameter_(other.next_parameter_), bind_status_(other.bind_status_), started_(other.started_)
    {
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;
    ~Statement()
    {
        if (stmt_ != nullptr) {
            sqlite3_reset(stmt_);
            sqlite3_clear_bindings(stmt_);
        }
    }

    /// Binds the next parameter to bytes as a blob (copied): compared byte for byte, never
    /// cut at a NUL nor read as text.
    Statement& bind(std::string_view bytes)
    {
        // A null pointer would bind SQL NULL, not an empty blob.
        const char* data = bytes.empty() ? "" : bytes.data();
        return bound(sqlite3_bind_blob64(stmt_, next_parameter_++, data, bytes.size(), SQLITE_TRANSIENT));
    }

    /// Binds the next parameter to text (copied), for a column other programs read as
    /// words, such as a pod's status.
    Statement& bind_text(std::string_view text)
    {
        return bound(sqlite3_bind_text64(stmt_, next_parameter_++, text.empty() ? "" : text.data(), text.size(),
                                         SQLITE_TRANSIENT, SQLITE_UTF8));
    }

    Statement& bind(std::int64_t n) { return bound(sqlite3_bind_int64(stmt_, next_parameter_++, n)); }

    /// Binds the next parameter to t in milliseconds since the epoch; an unset time is 0.
    Statement& bind(pod_dispatcher::Timestamp t) { return bind(std::int64_t{t.time_since_epoch().count()}); }

    /// Runs to the next row: true when there is one, false when the statement is done.
    Result<bool> step();

    /// Runs a statement to its end, ignoring any rows (a PRAGMA may return one).
    Result<void> run()
    {
        for (;;) {
            BOOST_OUTCOME_TRY(bool row, step());
            if (!row) {
                return boost::outcome_v2::success();
            }
        }
    }

    /// A column of the current row; valid until the next step.
    std::string_view bytes(int column) const noexcept
    {
        const void* data = sqlite3_column_blob(stmt_, column);
        const int size = sqlite3_column_bytes(stmt_, column);
        return data == nullptr ? std::string_view{} : std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size));
    }

    std::int64_t integer(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }

private:
    Statement& bound(int rc) noexcept
    {
        if (bind_status_ == SQLITE_OK) {
            bind_status_ = rc;
        }
        return *this;
    }

    Connection* connection_;
    sqlite3_stmt* stmt_;
    int next_parameter_ = 1;
    int bind_status_ = SQLITE_OK;
    bool started_ = false;
};

class Connection {
public:
    /// Opens the file (creating it if need be) with the options' durability and busy timeout.
    static Result<std::unique_ptr<Connection>> open(const std::string& path, const SqliteStoreOptions& options,
                                                    ErrorLog& errors)
    {
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        // SQLite hands out a handle even when opening fails; the connection closes it.
        std::unique_ptr<Connection> connection{new Connection(db, options, errors)};
        if (rc != SQLITE_OK) {
            return connection->fail(rc);
        }
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
        BOOST_OUTCOME_TRY(connection->execute(options.durability == Durability::full ? "PRAGMA synchronous = FULL"
                                                                                     : "PRAGMA synchronous = NORMAL"));
        return connection;
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection()
    {
        for (auto& [sql, stmt] : statements_) {
            sqlite3_finalize(stmt);
        }
        sqlite3_close_v2(db_);
    }

    /// A run of sql, prepared on first use and kept for the connection's life.
    Result<Statement> prepare(std::string_view sql)
    {
        auto found = statements_.find(sql);
        if (found == statements_.end()) {
            sqlite3_stmt* stmt = nullptr;
            const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                              &stmt, nullptr);
            if (rc != SQLITE_OK) {
                return fail(rc);
            }
            found = statements_.emplace(std::string(sql), stmt).first;
        }
        return Statement{*this, found->second};
    }

    /// Runs sql, which takes no parameters, to its end.
    Result<void> execute(std::string_view sql)
    {
        BOOST_OUTCOME_TRY(auto statement, prepare(sql));
        return statement.run();
    }

    Result<void> begin(Access access)
    {
        busy_ = false;
        BOOST_OUTCOME_TRY(execute(access == Access::write ? "BEGIN IMMEDIATE" : "BEGIN"));
        in_transaction_ = true;
        return boost::outcome_v2::success();
    }

    Result<void> commit()
    {
        BOOST_OUTCOME_TRY(execute("COMMIT"));
        in_transaction_ = false;
        return boost::outcome_v2::success();
    }

    /// Undoes the transaction, if SQLite has not already done so.
    void rollback()
    {
        if (sqlite3_get_autocommit(db_) == 0) {
            (void)execute("ROLLBACK");
        }
        in_transaction_ = false;
    }

    /// Whether the connection is between transactions, fit to serve another unit.
    bool idle() const noexcept { return !in_transaction_ && sqlite3_get_autocommit(db_) != 0; }

    /// Whether a statement failed, since the transaction began, because the database was
    /// busy or locked: a failure a rerun may get past.
    bool was_busy() const noexcept { return busy_; }

    /// Errc::store_unavailable for stored data the store cannot read, with what it was.
    Errc malformed(std::string_view what)
    {
        errors_.record("malformed stored data: " + std::string(what));
        return Errc::store_unavailable;
    }

    /// The error for SQLite's result code rc, its message recorded.
    Errc fail(int rc)
    {
        errors_.record(db_ == nullptr ? sqlite3_errstr(rc) : sqlite3_errmsg(db_));
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
            return Errc::duplicate_key;
        }
        const int primary = rc & 0xff;
        busy_ = busy_ || primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
        return Errc::store_unavailable;
    }

private:
    friend class Statement;

    Connection(sqlite3* db, const SqliteStoreOptions& options, ErrorLog& errors) noexcept
        : db_(db), before_statement_(options.before_statement), errors_(errors)
    {
    }

    /// Called before a statement first steps: runs the fault point, and refuses to run
    /// inside a transaction SQLite has given up (after an I/O error, say), where the
    /// statement would otherwise commit on its own.
    Result<void> starting(sqlite3_stmt* stmt)
    {
        if (before_statement_) {
            before_statement_(sqlite3_sql(stmt));
        }
        if (in_transaction_ && sqlite3_get_autocommit(db_) != 0) {
            errors_.record("the transaction was rolled back by SQLite after an earlier failure");
            return Errc::store_unavailable;
        }
        return boost::outcome_v2::success();
    }

    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    sqlite3* db_;
    const std::function<void(std::string_view)>& before_statement_;
    ErrorLog& errors_;
    std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
    bool in_transaction_ = false;
    bool busy_ = false;
};

inline Result<bool> Statement::step()
{
    if (!std::exchange(started_, true)) {
        BOOST_OUTCOME_TRY(connection_->starting(stmt_));
    }
    if (bind_status_ != SQLITE_OK) {
        return connection_->fail(bind_status_);
    }
    switch (const int rc = sqlite3_step(stmt_)) {
    case SQLITE_ROW: return true;
    case SQLITE_DONE: return false;
    default: return connection_->fail(rc);
    }
}

} // namespace pod_dispatcher_sqlite::detail

#endif
