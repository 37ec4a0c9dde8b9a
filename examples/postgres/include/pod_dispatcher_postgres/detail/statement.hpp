#ifndef POD_DISPATCHER_POSTGRES_DETAIL_STATEMENT_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_STATEMENT_HPP

// What a statement takes and what it gives back: its parameters, and its answer (the
// rows it returned). Parameters and results travel in binary where they hold bytes, so ids need
// neither escaping nor valid UTF-8.

#include <pod_dispatcher_postgres/detail/binary.hpp>

#include <pod_dispatcher/documents.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_postgres::detail {

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
    friend class Pipeline;
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

/// A statement's answer: the rows it returned, in binary, or how it failed.
class Rows {
public:
    explicit Rows(PGresult* result) noexcept : result_(result, &PQclear) {}

    ExecStatusType status() const noexcept { return PQresultStatus(result_.get()); }
    bool succeeded() const noexcept { return status() == PGRES_COMMAND_OK || status() == PGRES_TUPLES_OK; }

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

    /// For a failure: PostgreSQL's message, and its SQLSTATE.
    const char* error_message() const noexcept { return PQresultErrorMessage(result_.get()); }
    std::string_view sqlstate() const noexcept
    {
        const char* state = PQresultErrorField(result_.get(), PG_DIAG_SQLSTATE);
        return state == nullptr ? "" : state;
    }

    /// What the server says it did: "COMMIT", or "ROLLBACK" for a COMMIT of a transaction
    /// a failed statement gave up.
    std::string_view command() const noexcept { return PQcmdStatus(result_.get()); }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

} // namespace pod_dispatcher_postgres::detail

#endif
