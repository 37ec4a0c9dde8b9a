#ifndef POD_DISPATCHER_DETAIL_JSON_ENUM_HPP
#define POD_DISPATCHER_DETAIL_JSON_ENUM_HPP

// Enums as JSON strings, through one name table per enum.

#include <pod_dispatcher/error.hpp>

#include <boost/json/error.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace pod_dispatcher::detail {

/// Specialised for each enum JSON knows, with
/// `static constexpr std::array<std::pair<E, std::string_view>, N> names`.
template <class E>
struct JsonNames {};

template <class E>
concept JsonEnum = std::is_enum_v<E> && requires { JsonNames<E>::names; };

/// Throws std::system_error (Errc::invalid_argument) for a value with no name.
template <JsonEnum E>
std::string_view name_of(E e)
{
    constexpr auto& names = JsonNames<E>::names;
    const auto* entry = std::find_if(names.begin(), names.end(), [e](const auto& n) { return n.first == e; });
    if (entry == names.end())
        throw std::system_error(make_error_code(Errc::invalid_argument), "enum value has no JSON name");
    return entry->second;
}

/// boost::json::error::not_string for a non-string, unknown_name for a string not in the table.
template <JsonEnum E>
boost::system::result<E> enum_from_json(const boost::json::value& jv)
{
    const auto* text = jv.if_string();
    if (text == nullptr)
        return boost::system::error_code(boost::json::error::not_string);
    constexpr auto& names = JsonNames<E>::names;
    const std::string_view wanted = *text;
    const auto* entry =
        std::find_if(names.begin(), names.end(), [wanted](const auto& n) { return n.second == wanted; });
    if (entry == names.end())
        return boost::system::error_code(boost::json::error::unknown_name);
    return entry->first;
}

} // namespace pod_dispatcher::detail

#endif
