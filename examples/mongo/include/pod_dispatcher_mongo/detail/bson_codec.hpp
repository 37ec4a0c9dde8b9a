#ifndef POD_DISPATCHER_MONGO_DETAIL_BSON_CODEC_HPP
#define POD_DISPATCHER_MONGO_DETAIL_BSON_CODEC_HPP

// Documents as BSON, through the library's own field tables (pod_dispatcher::Fields<D>
// and EnumNames<E>, fields.hpp): a field's stored name is its member name, but for the
// id, which is stored as "_id". An unset timestamp is left out; an event's payload is its
// "data" sub-document, read as the payload the event's type carries.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>

#include <bson/bson.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pod_dispatcher_mongo::detail {

namespace pd = pod_dispatcher;

/// The stored name of a field: "_id" for a document's id, else the member's name.
template <class F>
constexpr std::string_view stored_name(const F& f) noexcept
{
    return f.role == pd::FieldRole::id ? std::string_view{"_id"} : f.name;
}

/// The stored name of D's field member.
template <pd::Document D, class M>
constexpr std::string_view stored_name_of(M D::*member) noexcept
{
    std::string_view name;
    pd::for_each_field<D>([&](const auto& f) {
        if constexpr (std::is_same_v<decltype(f.member), M D::*>) {
            if (f.member == member) {
                name = stored_name(f);
            }
        }
    });
    return name;
}

// ---- Writing: put(b, key, value) appends one value; false when libbson refuses it.

inline int length(std::string_view s) noexcept
{
    return s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())
        ? -2 // makes libbson refuse the append instead of truncating
        : static_cast<int>(s.size());
}

/// Keys are C strings in BSON; a NUL inside one would change its meaning.
inline bool valid_key(std::string_view key) noexcept { return key.find('\0') == std::string_view::npos; }

/// A string as a BSON string when it is UTF-8, as a BSON string must be; other bytes
/// (ids are any bytes) as generic binary, which no server rewrites.
inline bool put(bson_t* b, std::string_view key, std::string_view value)
{
    if (!valid_key(key) || length(value) < 0) {
        return false;
    }
    // libbson writes a null for a null pointer; an empty view may have one.
    const char* bytes = value.data() != nullptr ? value.data() : "";
    if (bson_utf8_validate(bytes, value.size(), true)) {
        return bson_append_utf8(b, key.data(), length(key), bytes, length(value));
    }
    return bson_append_binary(b, key.data(), length(key), BSON_SUBTYPE_BINARY,
                              reinterpret_cast<const std::uint8_t*>(bytes), static_cast<std::uint32_t>(value.size()));
}

inline bool put(bson_t* b, std::string_view key, const std::string& value)
{
    return put(b, key, std::string_view{value});
}

/// A string literal would otherwise pick the bool overload.
bool put(bson_t* b, std::string_view key, const char* value) = delete;

inline bool put(bson_t* b, std::string_view key, bool value)
{
    return bson_append_bool(b, key.data(), length(key), value);
}

inline bool put(bson_t* b, std::string_view key, int value)
{
    return bson_append_int32(b, key.data(), length(key), value);
}

inline bool put(bson_t* b, std::string_view key, std::int64_t value)
{
    return bson_append_int64(b, key.data(), length(key), value);
}

inline bool put_null(bson_t* b, std::string_view key) { return bson_append_null(b, key.data(), length(key)); }

/// An unset timestamp is left out.
inline bool put(bson_t* b, std::string_view key, pd::Timestamp value)
{
    return value == pd::Timestamp{} ||
           bson_append_date_time(b, key.data(), length(key), value.time_since_epoch().count());
}

template <pd::NamedEnum E>
bool put(bson_t* b, std::string_view key, E value)
{
    const std::string_view name = pd::name_of(value);
    return !name.empty() && put(b, key, name);
}

template <pd::Document D>
bool put(bson_t* b, std::string_view key, const D& value);
bool put(bson_t* b, std::string_view key, const pd::EventData& value);

/// Appends a sub-document or array whose contents fill(child) writes.
template <class Fill>
bool put_nested(bson_t* b, std::string_view key, bool is_array, Fill&& fill)
{
    bson_t child;
    const bool begun = is_array ? bson_append_array_begin(b, key.data(), length(key), &child)
                                : bson_append_document_begin(b, key.data(), length(key), &child);
    if (!begun) {
        return false;
    }
    const bool filled = fill(&child);
    const bool ended = is_array ? bson_append_array_end(b, &child) : bson_append_document_end(b, &child);
    return filled && ended;
}

/// Calls each(key) with the array keys "0", "1", ... for count elements.
template <class Each>
bool for_each_index(std::size_t count, Each&& each)
{
    for (std::size_t i = 0; i < count; ++i) {
        char buffer[16];
        const char* key = nullptr;
        const auto n = bson_uint32_to_string(static_cast<std::uint32_t>(i), &key, buffer, sizeof buffer);
        if (!each(i, std::string_view{key, n})) {
            return false;
        }
    }
    return true;
}

template <class V>
bool put(bson_t* b, std::string_view key, const std::vector<V>& values)
{
    return put_nested(b, key, true, [&](bson_t* array) {
        return for_each_index(values.size(),
                              [&](std::size_t i, std::string_view k) { return put(array, k, values[i]); });
    });
}

/// Appends every field of doc that is set, in table order.
template <pd::Document D>
bool encode(bson_t* b, const D& doc)
{
    bool ok = true;
    pd::for_each_field<D>([&](const auto& f) { ok = ok && put(b, stored_name(f), doc.*f.member); });
    return ok;
}

template <pd::Document D>
bool put(bson_t* b, std::string_view key, const D& value)
{
    return put_nested(b, key, false, [&](bson_t* child) { return encode(child, value); });
}

/// A payload as its sub-document; no payload as an empty one.
inline bool put(bson_t* b, std::string_view key, const pd::EventData& value)
{
    return std::visit(
        [&](const auto& payload) {
            if constexpr (std::is_same_v<std::decay_t<decltype(payload)>, std::monostate>) {
                return put_nested(b, key, false, [](bson_t*) { return true; });
            } else {
                return put(b, key, payload);
            }
        },
        value);
}

// ---- Reading: get(it, value) reads the element it points at; false when it does not fit.

/// A BSON string, or generic binary as put writes bytes that are not UTF-8.
inline bool get(const bson_iter_t* it, std::string& value)
{
    std::uint32_t n = 0;
    if (BSON_ITER_HOLDS_UTF8(it)) {
        const char* s = bson_iter_utf8(it, &n);
        value.assign(s, n);
        return true;
    }
    bson_subtype_t subtype{};
    const std::uint8_t* bytes = nullptr;
    if (!BSON_ITER_HOLDS_BINARY(it)) {
        return false;
    }
    bson_iter_binary(it, &subtype, &n, &bytes);
    if (subtype != BSON_SUBTYPE_BINARY) {
        return false;
    }
    value.assign(reinterpret_cast<const char*>(bytes), n);
    return true;
}

inline bool get(const bson_iter_t* it, bool& value)
{
    if (!BSON_ITER_HOLDS_BOOL(it)) {
        return false;
    }
    value = bson_iter_bool(it);
    return true;
}

/// Accepts either integer type whose value fits, so other clients may store int32 or int64.
template <class I>
    requires(std::is_same_v<I, int> || std::is_same_v<I, std::int64_t>)
bool get(const bson_iter_t* it, I& value)
{
    std::int64_t v = 0;
    if (BSON_ITER_HOLDS_INT32(it)) {
        v = bson_iter_int32(it);
    } else if (BSON_ITER_HOLDS_INT64(it)) {
        v = bson_iter_int64(it);
    } else {
        return false;
    }
    if (v < std::numeric_limits<I>::min() || v > std::numeric_limits<I>::max()) {
        return false;
    }
    value = static_cast<I>(v);
    return true;
}

inline bool get(const bson_iter_t* it, pd::Timestamp& value)
{
    if (!BSON_ITER_HOLDS_DATE_TIME(it)) {
        return false;
    }
    value = pd::Timestamp{std::chrono::milliseconds{bson_iter_date_time(it)}};
    return true;
}

template <pd::NamedEnum E>
bool get(const bson_iter_t* it, E& value)
{
    std::string name;
    if (!get(it, name)) {
        return false;
    }
    const auto e = pd::enum_named<E>(name);
    if (e) {
        value = *e;
    }
    return e.has_value();
}

template <pd::Document D>
bool get(const bson_iter_t* it, D& value);

/// Calls each(child) for every element of the array it points at.
template <class Each>
bool get_elements(const bson_iter_t* it, Each&& each)
{
    bson_iter_t child;
    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &child)) {
        return false;
    }
    while (bson_iter_next(&child)) {
        if (!each(&child)) {
            return false;
        }
    }
    return true;
}

template <class V>
bool get(const bson_iter_t* it, std::vector<V>& values)
{
    values.clear();
    return get_elements(it, [&](const bson_iter_t* element) { return get(element, values.emplace_back()); });
}

/// Points found at the element named key of the document start iterates; false when
/// there is none.
inline bool find_element(const bson_iter_t* start, std::string_view key, bson_iter_t* found)
{
    *found = *start;
    return bson_iter_find_w_len(found, key.data(), length(key));
}

/// Reads an event's payload as the one its type carries; an empty document is none.
template <std::size_t I = 1>
bool get_payload(const bson_iter_t* it, std::size_t index, pd::EventData& value)
{
    if constexpr (I < std::variant_size_v<pd::EventData>) {
        if (I != index) {
            return get_payload<I + 1>(it, index, value);
        }
        std::variant_alternative_t<I, pd::EventData> payload{};
        if (!get(it, payload)) {
            return false;
        }
        value = std::move(payload);
        return true;
    } else {
        return false;
    }
}

/// Reads one field of doc from the document start iterates. An absent or null field
/// keeps its default, unless it is required; a value the field's check refuses does not fit.
template <class D, class M>
bool get_field(const bson_iter_t* start, D& doc, const pd::Field<D, M>& f)
{
    bson_iter_t it;
    if (!find_element(start, stored_name(f), &it) || BSON_ITER_HOLDS_NULL(&it)) {
        return !f.required();
    }
    if constexpr (std::is_same_v<M, pd::EventData>) {
        // The payload's kind comes from the event's type, read before it.
        bson_iter_t members;
        if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &members)) {
            return false;
        }
        if (!bson_iter_next(&members)) {
            doc.*f.member = std::monostate{};
            return true;
        }
        return get_payload(&it, pd::payload_index(doc.type), doc.*f.member);
    } else {
        return get(&it, doc.*f.member) && (f.valid == nullptr || f.valid(doc.*f.member));
    }
}

/// Reads D's fields, in table order, from the document it iterates; elements the table
/// does not name are ignored.
template <pd::Document D>
bool decode_elements(const bson_iter_t* it, D& doc)
{
    bool ok = true;
    pd::for_each_field<D>([&](const auto& f) { ok = ok && get_field(it, doc, f); });
    return ok;
}

template <pd::Document D>
bool decode(const bson_t* b, D& doc)
{
    bson_iter_t it;
    return bson_iter_init(&it, b) && decode_elements(&it, doc);
}

template <pd::Document D>
bool get(const bson_iter_t* it, D& value)
{
    bson_iter_t child;
    return BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child) && decode_elements(&child, value);
}

} // namespace pod_dispatcher_mongo::detail

#endif
