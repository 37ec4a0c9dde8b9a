#ifndef POD_DISPATCHER_SQL_QUERY_CONDITIONS_HPP
#define POD_DISPATCHER_SQL_QUERY_CONDITIONS_HPP

// A Query as SQL: one statement text for each combination of the conditions it sets, so
// that the database plans each with its index, and the values of those conditions bound
// in member order.

#include <pod_dispatcher/query.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pod_dispatcher_sql {

/// The conditions a Query may set, as bits of a set.
enum Condition : unsigned { id_set = 1U, group_id_set = 2U, pod_id_set = 4U, modification_count_set = 8U };

/// Which of q's conditions are set.
inline unsigned conditions_of(const pod_dispatcher::Query& q) noexcept
{
    return (q.id ? id_set : 0U) | (q.group_id ? group_id_set : 0U) | (q.pod_id ? pod_id_set : 0U) |
           (q.modification_count ? modification_count_set : 0U);
}

/// The statement text(conditions) gives for the conditions q sets, each of the 16 texts
/// built once (per call site: each Text is a type of its own).
template <class Text>
const std::string& text_for(const pod_dispatcher::Query& q, Text text)
{
    static const std::array<std::string, 16> texts = [&] {
        std::array<std::string, 16> built;
        for (unsigned set = 0; set < built.size(); ++set) {
            built[set] = text(set);
        }
        return built;
    }();
    return texts[conditions_of(q)];
}

/// Calls bind(value) for each condition q sets, in member order: an id, a group id or a
/// pod id as a std::string_view, a modification_count as a std::int64_t.
template <class Bind>
void bind_conditions(const pod_dispatcher::Query& q, Bind bind)
{
    if (q.id) {
        bind(std::string_view(*q.id));
    }
    if (q.group_id) {
        bind(std::string_view(*q.group_id));
    }
    if (q.pod_id) {
        bind(std::string_view(*q.pod_id));
    }
    if (q.modification_count) {
        bind(std::int64_t{*q.modification_count});
    }
}

} // namespace pod_dispatcher_sql

#endif
