#ifndef POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_POOL_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_CONNECTION_POOL_HPP

// The connections of one store to its database (pod_dispatcher_sql's pool). Unlike
// SQLite's, its writers need no turns of their own: PostgreSQL's row locks keep apart the
// units that write the same rows, whichever thread or process runs them, and let the others
// run at once.

#include <pod_dispatcher_postgres/detail/connection.hpp>
#include <pod_dispatcher_postgres/options.hpp>

#include <pod_dispatcher_sql/connection_pool.hpp>

namespace pod_dispatcher_postgres::detail {

using ConnectionPool = pod_dispatcher_sql::ConnectionPool<Connection, PostgresStoreOptions, ConnectionLog>;

} // namespace pod_dispatcher_postgres::detail

#endif
