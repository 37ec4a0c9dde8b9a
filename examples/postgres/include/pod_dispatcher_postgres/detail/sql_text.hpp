#ifndef POD_DISPATCHER_POSTGRES_DETAIL_SQL_TEXT_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_SQL_TEXT_HPP

// How a statement finds a row by an id. An id may be of any length (the kit stores one of
// a megabyte), and a B-tree refuses an entry of more than about 2.7 kB, so no index holds
// an id as it is: each indexes sha256(id), 32 bytes, unique where the id must be, and every
// lookup compares both, the hash for the index to find the row, the id to decide.

#include <string>
#include <string_view>

namespace pod_dispatcher_postgres::detail {

/// The condition that column holds the id in value (a parameter such as "$1", or another
/// column), searched through an index on sha256(column).
inline std::string same_id(std::string_view column, std::string_view value)
{
    std::string condition = "sha256(";
    condition.append(column).append(") = sha256(").append(value).append(") AND ");
    condition.append(column).append(" = ").append(value);
    return condition;
}

/// A statement that makes write, an UPDATE ... RETURNING 1, and fails the transaction as
/// a serialization failure (pod_dispatcher_wrote_one, schema.hpp) unless it wrote exactly
/// one row: for a write conditional on what a unit read, which the unit runs again when
/// the row changed since.
inline std::string one_row_or_rerun(const std::string& write)
{
    return "WITH written AS (" + write + ") SELECT pod_dispatcher_wrote_one((SELECT count(*) FROM written))";
}

/// "$n".
inline std::string parameter(int n) { return "$" + std::to_string(n); }

} // namespace pod_dispatcher_postgres::detail

#endif
