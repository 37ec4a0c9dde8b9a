#ifndef POD_DISPATCHER_POSTGRES_DETAIL_PIPELINE_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_PIPELINE_HPP

// One round trip through libpq's pipeline mode: steps (statements, and statements to
// prepare) sent one after another, then one sync, then their answers read in the order
// sent. The server runs the steps in order, each seeing what those before it wrote. One
// that fails makes it skip the rest up to the sync (each answered
// PGRES_PIPELINE_ABORTED), and leaves an explicit transaction aborted, as a failing
// statement sent alone would.
//
// The connection stays blocking. Should the server's answers fill the channel while
// steps are still being sent, libpq reads and keeps them before it sends more, so neither
// side waits for the other.

#include <pod_dispatcher_postgres/detail/statement.hpp>

#include <libpq-fe.h>

#include <string>
#include <vector>

namespace pod_dispatcher_postgres::detail {

/// A round trip under way on a connection: send the steps, sync(), then answer() each
/// step in the order sent, then finish().
class Pipeline {
public:
    explicit Pipeline(PGconn* conn) noexcept : conn_(conn), sending_(PQenterPipelineMode(conn) == 1) {}
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    /// Prepares sql under name, for statements of this many parameters.
    void prepare(const std::string& name, const std::string& sql, int parameters)
    {
        sending_ = sending_ && PQsendPrepare(conn_, name.c_str(), sql.c_str(), parameters, nullptr) == 1;
    }

    /// Runs the statement prepared under name with params, its rows in binary.
    void execute(const std::string& name, const Params& params)
    {
        std::vector<const char*> values;
        std::vector<int> lengths;
        for (std::size_t i = 0; i < params.values_.size(); ++i) {
            values.push_back(params.nulls_[i] ? nullptr : params.values_[i].data());
            lengths.push_back(static_cast<int>(params.values_[i].size()));
        }
        sending_ = sending_ && PQsendQueryPrepared(conn_, name.c_str(), params.size(), values.data(), lengths.data(),
                                                   params.formats_.data(), 1) == 1;
    }

    /// Ends the steps with a sync and sends them all; false when the connection failed.
    bool sync() { return sending_ && PQpipelineSync(conn_) == 1; }

    /// The answer to the next step, which the caller frees; null when the connection failed.
    PGresult* answer()
    {
        PGresult* result = PQgetResult(conn_);
        if (result != nullptr) {
            PQclear(PQgetResult(conn_)); // the null that ends each step's answer
        }
        return result;
    }

    /// Reads the sync's answer, after the last step's, and leaves pipeline mode; false
    /// when the answers do not end there (the connection failed).
    bool finish()
    {
        const Rows sync{PQgetResult(conn_)};
        return sync.status() == PGRES_PIPELINE_SYNC && PQexitPipelineMode(conn_) == 1;
    }

private:
    PGconn* conn_;
    bool sending_;
};

} // namespace pod_dispatcher_postgres::detail

#endif
