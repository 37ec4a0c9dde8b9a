#ifndef POD_DISPATCHER_MONGO_DETAIL_BSON_CODEC_HPP
#define POD_DISPATCHER_MONGO_DETAIL_BSON_CODEC_HPP

// BSON encoding and decoding of the documents, driven by one table of fields per type:
// the same table names each stored field for writing, reading and filtering.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <bson/bson.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace pod_dispatcher_mongo::detail {

namespace pd = pod_dispatcher;

/// One stored field: its name in the document and the member it holds.
template <class T, class M>
struct Field {
    std::string_view name;
    M T::*member;
};

template <class T, class M>
Field(std::string_view, M T::*) -> Field<T, M>;

/// Schema<T>::fields is the tuple of T's Fields. A type with a Schema is stored as a document.
template <class T>
struct Schema;

template <class T>
concept Document = requires { Schema<T>::fields; };

template <>
struct Schema<pd::PodDispatcher> {
    using D = pd::PodDispatcher;
    static constexpr std::tuple fields{
        Field{pd::keys::id, &D::id},
        Field{pd::keys::group_id, &D::group_id},
        Field{pd::keys::pod_ids, &D::pod_ids},
        Field{pd::keys::task_ids, &D::task_ids},
        Field{pd::keys::modification_count, &D::modification_count},
        Field{pd::keys::last_modified, &D::last_modified},
    };
};

template <>
struct Schema<pd::Dependency> {
    using D = pd::Dependency;
    static constexpr std::tuple fields{
        Field{"task_id", &D::task_id},
        Field{"finished", &D::finished},
        Field{"unattainable", &D::unattainable},
    };
};

template <>
struct Schema<pd::Task> {
    using T = pd::Task;
    static constexpr std::tuple fields{
        Field{"_id", &T::id},
        Field{"execution", &T::execution},
        Field{"project", &T::project},
        Field{"requester", &T::requester},
        Field{"status", &T::status},
        Field{"activated", &T::activated},
        Field{"activated_time", &T::activated_time},
        Field{"priority", &T::priority},
        Field{"execution_platform", &T::execution_platform},
        Field{"container_allocated", &T::container_allocated},
        Field{"container_allocated_time", &T::container_allocated_time},
        Field{"container_allocation_attempts", &T::container_allocation_attempts},
        Field{"depends_on", &T::depends_on},
        Field{"override_dependencies", &T::override_dependencies},
        Field{"display_task_id", &T::display_task_id},
        Field{"display_only", &T::display_only},
        Field{"execution_tasks", &T::execution_tasks},
        Field{"pod_id", &T::pod_id},
        Field{"agent_version", &T::agent_version},
        Field{"dispatch_time", &T::dispatch_time},
        Field{"last_heartbeat", &T::last_heartbeat},
        Field{"details_type", &T::details_type},
        Field{"details_description", &T::details_description},
    };
};

template <>
struct Schema<pd::Pod> {
    using P = pd::Pod;
    static constexpr std::tuple fields{
        Field{"_id", &P::id},
        Field{"status", &P::status},
        Field{"agent_version", &P::agent_version},
        Field{"running_task_id", &P::running_task_id},
        Field{"running_task_execution", &P::running_task_execution},
    };
};

template <>
struct Schema<pd::ProjectRef> {
    using R = pd::ProjectRef;
    static constexpr std::tuple fields{
        Field{"_id", &R::id},
        Field{"enabled", &R::enabled},
        Field{"hidden", &R::hidden},
        Field{"dispatching_disabled", &R::dispatching_disabled},
    };
};

template <>
struct Schema<pd::Event> {
    using E = pd::Event;
    static constexpr std::tuple fields{
        Field{"resource_id", &E::resource_id},
        Field{"type", &E::type},
        Field{"timestamp", &E::timestamp},
        Field{"data", &E::data},
    };
};

/// EnumNames<E>::names[i] is the stored string of the enumerator with value i.
template <class E>
struct EnumNames;

template <>
struct EnumNames<pd::TaskStatus> {
    static constexpr std::array<std::string_view, 5> names{
        "undispatched", "dispatched", "started", "succeeded", "failed"};
};
template <>
struct EnumNames<pd::ExecutionPlatform> {
    static constexpr std::array<std::string_view, 2> names{"host", "container"};
};
template <>
struct EnumNames<pd::PodStatus> {
    static constexpr std::array<std::string_view, 5> names{
        "initializing", "starting", "running", "decommissioned", "terminated"};
};
template <>
struct EnumNames<pd::EventType> {
    static constexpr std::array<std::string_view, 6> names{
        "container_allocated", "container_deallocated", "task_dispatched",
        "task_system_failed",  "pod_assigned_task",     "pod_status_changed"};
};

template <class E>
concept StoredEnum = std::is_enum_v<E> && requires { EnumNames<E>::names; };

// ---- Writing: put(b, key, value) appends one value; false when libbson refuses it.

inline int length(std::string_view s) noexcept
{
    return s.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())
        ? -2 // makes libbson refuse the append instead of truncating
        : static_cast<int>(s.size());
}

inline bool put(bson_t* b, std::string_view key, std::string_view value)
{
    // Keys are C strings in BSON; a NUL inside one would change its meaning.
    if (key.find('\0') != std::string_view::npos || length(value) < 0) {
        return false;
    }
    // libbson writes a null for a null pointer; an empty view may have one.
    return bson_append_utf8(b, key.data(), length(key), value.data() != nullptr ? value.data() : "", length(value));
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

/// An unset timestamp is omitted.
inline bool put(bson_t* b, std::string_view key, pd::Timestamp value)
{
    return value == pd::Timestamp{}
        || bson_append_date_time(b, key.data(), length(key), value.time_since_epoch().count());
}

template <StoredEnum E>
bool put(bson_t* b, std::string_view key, E value)
{
    const auto i = static_cast<std::size_t>(value);
    return i < EnumNames<E>::names.size() && put(b, key, EnumNames<E>::names[i]);
}

bool put(bson_t* b, std::string_view key, const boost::json::value& value);
bool put(bson_t* b, std::string_view key, const boost::json::object& value);
template <Document T>
bool put(bson_t* b, std::string_view key, const T& value);

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

/// Appends each element under the keys "0", "1", ...
template <class Range>
bool put_elements(bson_t* array, const Range& elements)
{
    std::uint32_t i = 0;
    for (const auto& element : elements) {
        char buffer[16];
        const char* key = nullptr;
        const auto n = bson_uint32_to_string(i++, &key, buffer, sizeof buffer);
        if (!put(array, std::string_view{key, n}, element)) {
            return false;
        }
    }
    return true;
}

template <class V>
bool put(bson_t* b, std::string_view key, const std::vector<V>& values)
{
    return put_nested(b, key, true, [&](bson_t* a) { return put_elements(a, values); });
}

inline bool put(bson_t* b, std::string_view key, const boost::json::array& values)
{
    return put_nested(b, key, true, [&](bson_t* a) { return put_elements(a, values); });
}

inline bool put_members(bson_t* b, const boost::json::object& object)
{
    for (const auto& member : object) {
        if (!put(b, member.key(), member.value())) {
            return false;
        }
    }
    return true;
}

inline bool put(bson_t* b, std::string_view key, const boost::json::object& value)
{
    return put_nested(b, key, false, [&](bson_t* d) { return put_members(d, value); });
}

inline bool put(bson_t* b, std::string_view key, const boost::json::value& value)
{
    switch (value.kind()) {
    case boost::json::kind::null: return bson_append_null(b, key.data(), length(key));
    case boost::json::kind::bool_: return put(b, key, value.get_bool());
    case boost::json::kind::int64: return put(b, key, value.get_int64());
    case boost::json::kind::uint64:
        return value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
            ? put(b, key, static_cast<std::int64_t>(value.get_uint64()))
            : bson_append_double(b, key.data(), length(key), static_cast<double>(value.get_uint64()));
    case boost::json::kind::double_: return bson_append_double(b, key.data(), length(key), value.get_double());
    case boost::json::kind::string: return put(b, key, std::string_view{value.get_string()});
    case boost::json::kind::array: return put(b, key, value.get_array());
    case boost::json::kind::object: return put(b, key, value.get_object());
    }
    return false;
}

/// Appends every field of doc, in table order.
template <Document T>
bool encode(bson_t* b, const T& doc)
{
    return std::apply([&](const auto&... field) { return (put(b, field.name, doc.*field.member) && ...); },
                      Schema<T>::fields);
}

/// Appends a condition on every field of doc: a filter matching a stored document equal
/// to doc. A field at its default value also matches a missing one (another client may
/// leave it out, and reading it gives the default); an unset timestamp is left out when
/// written, so it matches only a missing or null one.
template <Document T>
bool encode_filter(bson_t* b, const T& doc)
{
    const auto condition = [&](std::string_view name, const auto& value) {
        using V = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<V, pd::Timestamp>) {
            if (value == pd::Timestamp{}) {
                return bson_append_null(b, name.data(), length(name));
            }
        } else if (value == V{}) {
            return put_nested(b, name, false, [&](bson_t* in) {
                return put_nested(in, "$in", true, [&](bson_t* values) {
                    return put(values, "0", value) && bson_append_null(values, "1", 1);
                });
            });
        }
        return put(b, name, value);
    };
    return std::apply([&](const auto&... field) { return (condition(field.name, doc.*field.member) && ...); },
                      Schema<T>::fields);
}

template <Document T>
bool put(bson_t* b, std::string_view key, const T& value)
{
    return put_nested(b, key, false, [&](bson_t* d) { return encode(d, value); });
}

// ---- Reading: get(it, value) reads the element it points at; false when it does not fit.

inline bool get(const bson_iter_t* it, std::string& value)
{
    if (!BSON_ITER_HOLDS_UTF8(it)) {
        return false;
    }
    std::uint32_t n = 0;
    const char* s = bson_iter_utf8(it, &n);
    value.assign(s, n);
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

/// Accepts any integer type whose value fits, so other clients may store int32 or int64.
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
    if (BSON_ITER_HOLDS_NULL(it)) {
        value = pd::Timestamp{};
        return true;
    }
    if (!BSON_ITER_HOLDS_DATE_TIME(it)) {
        return false;
    }
    value = pd::Timestamp{std::chrono::milliseconds{bson_iter_date_time(it)}};
    return true;
}

template <StoredEnum E>
bool get(const bson_iter_t* it, E& value)
{
    std::string s;
    if (!get(it, s)) {
        return false;
    }
    const auto& names = EnumNames<E>::names;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == s) {
            value = static_cast<E>(i);
            return true;
        }
    }
    return false;
}

bool get(const bson_iter_t* it, boost::json::value& value);
bool get(const bson_iter_t* it, boost::json::object& value);
template <Document T>
bool get(const bson_iter_t* it, T& value);

/// Calls each(key, child) for every element of the document or array it points at.
template <class Each>
bool get_nested(const bson_iter_t* it, bool is_array, Each&& each)
{
    const bool holds = is_array ? BSON_ITER_HOLDS_ARRAY(it) : BSON_ITER_HOLDS_DOCUMENT(it);
    bson_iter_t child;
    if (!holds || !bson_iter_recurse(it, &child)) {
        return false;
    }
    while (bson_iter_next(&child)) {
        if (!each(std::string_view{bson_iter_key(&child), bson_iter_key_len(&child)}, &child)) {
            return false;
        }
    }
    return true;
}

template <class V>
bool get(const bson_iter_t* it, std::vector<V>& values)
{
    values.clear();
    return get_nested(it, true, [&](std::string_view, const bson_iter_t* element) {
        return get(element, values.emplace_back());
    });
}

inline bool get(const bson_iter_t* it, boost::json::object& value)
{
    value.clear();
    return get_nested(it, false, [&](std::string_view key, const bson_iter_t* member) {
        boost::json::value v;
        if (!get(member, v)) {
            return false;
        }
        value.insert_or_assign(key, std::move(v));
        return true;
    });
}

inline bool get(const bson_iter_t* it, boost::json::value& value)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_NULL: value = nullptr; return true;
    case BSON_TYPE_BOOL: value = bson_iter_bool(it); return true;
    case BSON_TYPE_INT32: value = static_cast<std::int64_t>(bson_iter_int32(it)); return true;
    case BSON_TYPE_INT64: value = bson_iter_int64(it); return true;
    case BSON_TYPE_DOUBLE: value = bson_iter_double(it); return true;
    case BSON_TYPE_UTF8: {
        std::string s;
        get(it, s);
        value = boost::json::string(s);
        return true;
    }
    case BSON_TYPE_ARRAY: {
        auto& array = value.emplace_array();
        return get_nested(it, true, [&](std::string_view, const bson_iter_t* element) {
            return get(element, array.emplace_back(nullptr));
        });
    }
    case BSON_TYPE_DOCUMENT: return get(it, value.emplace_object());
    default: return false;
    }
}

/// Reads the fields of doc the table names from the elements it iterates; other
/// elements are ignored, and a missing field keeps doc's value.
template <Document T>
bool decode_elements(bson_iter_t* it, T& doc)
{
    while (bson_iter_next(it)) {
        const std::string_view key{bson_iter_key(it), bson_iter_key_len(it)};
        bool ok = true;
        std::apply(
            [&](const auto&... field) {
                (void)((key == field.name && (ok = get(it, doc.*field.member), true)) || ...);
            },
            Schema<T>::fields);
        if (!ok) {
            return false;
        }
    }
    return true;
}

template <Document T>
bool decode(const bson_t* b, T& doc)
{
    bson_iter_t it;
    return bson_iter_init(&it, b) && decode_elements(&it, doc);
}

template <Document T>
bool get(const bson_iter_t* it, T& value)
{
    bson_iter_t child;
    return BSON_ITER_HOLDS_DOCUMENT(it) && bson_iter_recurse(it, &child) && decode_elements(&child, value);
}

} // namespace pod_dispatcher_mongo::detail

#endif
