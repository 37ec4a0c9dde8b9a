#ifndef POD_DISPATCHER_DETAIL_JSON_FIELDS_HPP
#define POD_DISPATCHER_DETAIL_JSON_FIELDS_HPP

// Documents as JSON objects, through one table of fields per document type.

#include <pod_dispatcher/detail/json_timestamp.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>

#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pod_dispatcher::detail {

using boost::system::error_code;

inline error_code read_value(const boost::json::value& jv, Timestamp& out)
{
    const auto* text = jv.if_string();
    if (text == nullptr)
        return boost::json::error::not_string;
    const auto t = parse_timestamp(*text);
    if (!t)
        return std::error_code(Errc::invalid_argument);
    out = *t;
    return {};
}

template <class M>
error_code read_value(const boost::json::value& jv, M& out)
{
    auto r = boost::json::try_value_to<M>(jv);
    if (!r)
        return r.error();
    out = std::move(*r);
    return {};
}

/// Throws std::system_error (Errc::invalid_argument) outside years 0000 to 9999.
inline boost::json::value to_json(Timestamp t, const boost::json::storage_ptr& sp)
{
    if (!is_formattable(t))
        throw std::system_error(make_error_code(Errc::invalid_argument), "timestamp outside years 0000-9999");
    const auto text = format_timestamp(t);
    return boost::json::value(std::string_view(text.data(), text.size()), sp);
}

template <class M>
boost::json::value to_json(const M& m, const boost::json::storage_ptr& sp)
{
    return boost::json::value_from(m, sp);
}

inline bool is_unset(Timestamp t) { return t == Timestamp{}; }
template <class M>
bool is_unset(const std::optional<M>& m) { return !m; }
template <class M>
bool is_unset(const M&) { return false; }

enum class Presence { required, optional };

/// One member of document D as the JSON member named key. An optional member that is
/// absent or null keeps its default; an unset one (Timestamp{}, std::nullopt) is not written.
template <class D, class M>
struct Field {
    std::string_view key;
    M D::*member;
    Presence presence;
    bool (*valid)(const M&) = nullptr; ///< When set, a value it rejects is Errc::invalid_argument.

    error_code read(const boost::json::object& object, D& doc) const
    {
        const auto* jv = object.if_contains(key);
        if (jv == nullptr || jv->is_null())
            return presence == Presence::required ? error_code(boost::json::error::not_found) : error_code();
        if (auto ec = read_value(*jv, doc.*member))
            return ec;
        if (valid != nullptr && !valid(doc.*member))
            return std::error_code(Errc::invalid_argument);
        return {};
    }

    void write(boost::json::object& object, const D& doc) const
    {
        if (!is_unset(doc.*member))
            object.insert_or_assign(key, to_json(doc.*member, object.storage()));
    }
};

template <class D, class M>
constexpr Field<D, M> required(std::string_view key, M D::*member)
{
    return {key, member, Presence::required, nullptr};
}

template <class D, class M>
constexpr Field<D, M> optional(std::string_view key, M D::*member, bool (*valid)(const M&) = nullptr)
{
    return {key, member, Presence::optional, valid};
}

/// Specialised for each document type JSON knows, with
/// `static constexpr std::tuple fields{required(...), optional(...), ...}`.
template <class D>
struct JsonFields {};

template <class D>
concept JsonDocument = std::is_class_v<D> && requires { JsonFields<D>::fields; };

template <JsonDocument D>
void write_document(boost::json::value& jv, const D& doc)
{
    auto& object = jv.emplace_object();
    std::apply([&](const auto&... field) { (field.write(object, doc), ...); }, JsonFields<D>::fields);
}

/// The first error among D's fields, in table order; boost::json::error::not_object for a
/// non-object. Members not in the table are ignored.
template <JsonDocument D>
boost::system::result<D> read_document(const boost::json::value& jv)
{
    const auto* object = jv.if_object();
    if (object == nullptr)
        return error_code(boost::json::error::not_object);
    D doc{};
    error_code ec;
    auto read = [&](const auto& field) {
        if (!ec)
            ec = field.read(*object, doc);
    };
    std::apply([&](const auto&... field) { (read(field), ...); }, JsonFields<D>::fields);
    if (ec)
        return ec;
    return doc;
}

} // namespace pod_dispatcher::detail

#endif
