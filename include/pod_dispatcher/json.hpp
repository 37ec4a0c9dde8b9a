#ifndef POD_DISPATCHER_JSON_HPP
#define POD_DISPATCHER_JSON_HPP

// Boost.JSON conversions of every document: boost::json::value_from(x),
// boost::json::value_to<T>(v) (throws on bad input) and boost::json::try_value_to<T>(v)
// (returns the error instead, never throws but for std::bad_alloc).
//
// - Keys are the member names ("id", "group_id", "pod_ids", ...), from each type's Fields
//   table. Every member is written, except unset timestamps and empty std::optionals.
// - Enums are their enumerator names as strings: "undispatched", "container", "running".
// - Timestamps are RFC 3339 UTC strings with milliseconds: "2026-11-27T17:30:00.123Z".
//   Read: 0 to 9 fraction digits (truncated to milliseconds); 'Z' only, no offsets.
// - An event's payload is its "data" object, read as the payload its "type" carries;
//   an empty "data" object is an event without one (std::monostate).
// - Reading: "id" is required (for Event, "resource_id" and "type"); any other member
//   that is absent or null takes its default. Unknown members are ignored, so older
//   readers accept newer documents.
// - An integer member accepts any JSON number it holds exactly: 3 and 3.0, not 3.5 or
//   a number out of its type's range.
//
// Errors from try_value_to:
// - boost::json::error::not_object, not_string, not_bool, not_array, not_number: a member
//   (or the document) has the wrong JSON type;
// - boost::json::error::not_exact: a number out of range or not integral;
// - boost::json::error::not_found: a required member is missing;
// - boost::json::error::unknown_name: a string that names no enumerator;
// - Errc::invalid_argument: a malformed timestamp, or a negative modification_count.

#include <pod_dispatcher/detail/json/document.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

namespace pod_dispatcher {

/// Writes doc as a JSON object. Throws std::system_error (Errc::invalid_argument) for a
/// timestamp outside years 0000 to 9999, which RFC 3339 cannot write, or an enum value
/// that is no enumerator.
template <Document D>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const D& doc)
{
    detail::write_document(jv, doc);
}

/// Reads a D from a JSON object; an error for any malformed input (see the top of json.hpp).
template <Document D>
boost::system::result<D> tag_invoke(boost::json::try_value_to_tag<D>, const boost::json::value& jv)
{
    return detail::read_document<D>(jv);
}

/// Writes e's enumerator name. Throws std::system_error (Errc::invalid_argument) for a
/// value that is no enumerator.
template <NamedEnum E>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, E e)
{
    jv = detail::checked_name_of(e);
}

/// Reads an enumerator from its name.
template <NamedEnum E>
boost::system::result<E> tag_invoke(boost::json::try_value_to_tag<E>, const boost::json::value& jv)
{
    return detail::enum_from_json<E>(jv);
}

} // namespace pod_dispatcher

#endif
