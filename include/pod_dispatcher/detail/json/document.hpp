#ifndef POD_DISPATCHER_DETAIL_JSON_DOCUMENT_HPP
#define POD_DISPATCHER_DETAIL_JSON_DOCUMENT_HPP

// Documents as JSON objects and enums as JSON strings, through the Fields and EnumNames
// tables (fields.hpp).

#include <pod_dispatcher/detail/json/timestamp.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>

#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/result.hpp>

#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace pod_dispatcher::detail {

using boost::system::error_code;

// ---- Enums.

/// Throws std::system_error (Errc::invalid_argument) for a value that is no enumerator.
template <NamedEnum E>
std::string_view checked_name_of(E e)
{
    const std::string_view name = name_of(e);
    if (name.empty()) {
        throw std::system_error(make_error_code(Errc::invalid_argument), "enum value has no JSON name");
    }
    return name;
}

/// boost::json::error::not_string for a non-string, unknown_name for a string not in the table.
template <NamedEnum E>
boost::system::result<E> enum_from_json(const boost::json::value& jv)
{
    const auto* text = jv.if_string();
    if (text == nullptr) {
        return error_code(boost::json::error::not_string);
    }
    const auto e = enum_named<E>(*text);
    if (!e) {
        return error_code(boost::json::error::unknown_name);
    }
    return *e;
}

// ---- Member values.

inline error_code read_value(const boost::json::value& jv, Timestamp& out)
{
    const auto* text = jv.if_string();
    if (text == nullptr) {
        return boost::json::error::not_string;
    }
    const auto t = parse_timestamp(*text);
    if (!t) {
        return std::error_code(Errc::invalid_argument);
    }
    out = *t;
    return {};
}

template <class M>
error_code read_value(const boost::json::value& jv, M& out)
{
    auto r = boost::json::try_value_to<M>(jv);
    if (!r) {
        return r.error();
    }
    out = std::move(*r);
    return {};
}

/// Throws std::system_error (Errc::invalid_argument) outside years 0000 to 9999.
inline boost::json::value to_json(Timestamp t, const boost::json::storage_ptr& sp)
{
    if (!is_formattable(t)) {
        throw std::system_error(make_error_code(Errc::invalid_argument), "timestamp outside years 0000-9999");
    }
    const auto text = format_timestamp(t);
    return boost::json::value(std::string_view(text.data(), text.size()), sp);
}

/// A payload as its object; no payload as an empty one. A template, so that the
/// conversions it calls are looked up where an event is written, after json.hpp declares
/// them (a compiler may instantiate a plain function's calls right where it is defined).
template <std::same_as<EventData> Data>
boost::json::value to_json(const Data& data, const boost::json::storage_ptr& sp)
{
    return std::visit(
        [&](const auto& payload) -> boost::json::value {
            if constexpr (std::is_same_v<std::decay_t<decltype(payload)>, std::monostate>) {
                return boost::json::object(sp);
            } else {
                return boost::json::value_from(payload, sp);
            }
        },
        data);
}

template <class M>
boost::json::value to_json(const M& m, const boost::json::storage_ptr& sp)
{
    return boost::json::value_from(m, sp);
}

/// An event's payload, read as the payload its type carries; an empty object is none.
template <std::size_t I = 1>
error_code read_payload(const boost::json::value& jv, std::size_t index, EventData& out)
{
    if constexpr (I < std::variant_size_v<EventData>) {
        if (I != index) {
            return read_payload<I + 1>(jv, index, out);
        }
        using Payload = std::variant_alternative_t<I, EventData>;
        auto r = boost::json::try_value_to<Payload>(jv);
        if (!r) {
            return r.error();
        }
        out = std::move(*r);
        return {};
    } else {
        return boost::json::error::unknown_name;
    }
}

inline bool is_unset(Timestamp t) { return t == Timestamp{}; }
template <class M>
bool is_unset(const std::optional<M>& m)
{
    return !m;
}
template <class M>
bool is_unset(const M&)
{
    return false;
}

// ---- Documents.

/// Reads one field of doc from object. An absent or null field keeps its default, unless
/// it is required.
template <class D, class M>
error_code read_field(const boost::json::object& object, D& doc, const Field<D, M>& f)
{
    const auto* jv = object.if_contains(f.name);
    if (jv == nullptr || jv->is_null()) {
        return f.required() ? error_code(boost::json::error::not_found) : error_code();
    }
    if constexpr (std::is_same_v<M, EventData>) {
        // The payload's kind comes from the event's type, read before it.
        const auto* members = jv->if_object();
        if (members == nullptr) {
            return boost::json::error::not_object;
        }
        if (members->empty()) {
            doc.*f.member = std::monostate{};
            return {};
        }
        return read_payload(*jv, payload_index(doc.type), doc.*f.member);
    } else {
        if (auto ec = read_value(*jv, doc.*f.member)) {
            return ec;
        }
        if (f.valid != nullptr && !f.valid(doc.*f.member)) {
            return std::error_code(Errc::invalid_argument);
        }
        return {};
    }
}

template <Document D>
void write_document(boost::json::value& jv, const D& doc)
{
    auto& object = jv.emplace_object();
    object.reserve(field_count<D>);
    for_each_field<D>([&](const auto& f) {
        if (!is_unset(doc.*f.member)) {
            object.insert_or_assign(f.name, to_json(doc.*f.member, object.storage()));
        }
    });
}

/// The first error among D's fields, in table order; boost::json::error::not_object for a
/// non-object. Members not in the table are ignored, so older readers accept newer documents.
template <Document D>
boost::system::result<D> read_document(const boost::json::value& jv)
{
    const auto* object = jv.if_object();
    if (object == nullptr) {
        return error_code(boost::json::error::not_object);
    }
    D doc{};
    error_code ec;
    for_each_field<D>([&](const auto& f) {
        if (!ec) {
            ec = read_field(*object, doc, f);
        }
    });
    if (ec) {
        return ec;
    }
    return doc;
}

} // namespace pod_dispatcher::detail

#endif
