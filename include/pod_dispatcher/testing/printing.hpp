#ifndef POD_DISPATCHER_TESTING_PRINTING_HPP
#define POD_DISPATCHER_TESTING_PRINTING_HPP

// How Catch2 prints the library's types when a check fails, instead of "{?}":
// - a Result as "error: " and its error code, or "ok" and its value when that prints;
// - an error code (and an Errc) as category:value (message): "pod_dispatcher:7 (document
//   is not in the required state)";
// - a document (Task, Pod, PodDispatcher, Event, a payload, Query, ...) as its JSON, and
//   an event's payload, a RescueReport and an optional document likewise;
// - an enum of the library by its name, a Timestamp as RFC 3339 with milliseconds.
// Every suite of the kit includes this header; include it before your own checks too.

#include <pod_dispatcher/detail/json/timestamp.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/operations/rescue_stale_pods.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/outcome/basic_result.hpp>

#include <catch2/catch_tostring.hpp>

#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>

namespace pod_dispatcher::testing {

/// "category:value (message)", or "no error".
inline std::string describe(const std::error_code& e)
{
    if (!e) {
        return "no error";
    }
    return std::string(e.category().name()) + ":" + std::to_string(e.value()) + " (" + e.message() + ")";
}

/// What to_json() returns, as compact JSON. A value the JSON writer refuses (a timestamp
/// outside years 0000 to 9999) is said to be so, rather than throw from a failed check.
template <class ToJson>
std::string json_text(ToJson&& to_json)
{
    try {
        return boost::json::serialize(to_json());
    } catch (const std::exception& e) {
        return std::string("{unprintable: ") + e.what() + "}";
    }
}

template <class T>
std::string as_json(const T& x)
{
    return json_text([&] { return boost::json::value_from(x); });
}

} // namespace pod_dispatcher::testing

namespace Catch {

template <>
struct StringMaker<std::error_code> {
    static std::string convert(const std::error_code& e) { return pod_dispatcher::testing::describe(e); }
};

template <>
struct StringMaker<pod_dispatcher::Errc> {
    static std::string convert(pod_dispatcher::Errc e) { return pod_dispatcher::testing::describe(make_error_code(e)); }
};

/// Result<T>: its error, or "ok" with its value when Catch2 can print that.
template <class T, class Policy>
struct StringMaker<boost::outcome_v2::basic_result<T, std::error_code, Policy>> {
    static std::string convert(const boost::outcome_v2::basic_result<T, std::error_code, Policy>& r)
    {
        if (!r) {
            return "error: " + pod_dispatcher::testing::describe(r.error());
        }
        if constexpr (std::is_void_v<T>) {
            return "ok";
        } else {
            std::string value = ::Catch::Detail::stringify(r.value());
            return StringRef(value) == Detail::unprintableString ? "ok" : "ok: " + value;
        }
    }
};

template <pod_dispatcher::Document D>
struct StringMaker<D> {
    static std::string convert(const D& doc) { return pod_dispatcher::testing::as_json(doc); }
};

template <pod_dispatcher::Document D>
struct StringMaker<std::optional<D>> {
    static std::string convert(const std::optional<D>& doc)
    {
        return doc ? pod_dispatcher::testing::as_json(*doc) : "{ }";
    }
};

template <pod_dispatcher::NamedEnum E>
struct StringMaker<E> {
    static std::string convert(E e)
    {
        const auto& names = pod_dispatcher::EnumNames<E>::names;
        const auto i = static_cast<std::size_t>(e);
        return i < names.size() ? std::string(names[i]) : "{unnamed " + std::to_string(i) + "}";
    }
};

template <>
struct StringMaker<pod_dispatcher::Timestamp> {
    static std::string convert(pod_dispatcher::Timestamp t)
    {
        if (t == pod_dispatcher::Timestamp{}) {
            return "unset";
        }
        if (!pod_dispatcher::detail::is_formattable(t)) {
            return std::to_string(t.time_since_epoch().count()) + " ms since the epoch";
        }
        const auto text = pod_dispatcher::detail::format_timestamp(t);
        return std::string(text.data(), text.size());
    }
};

template <>
struct StringMaker<pod_dispatcher::EventData> {
    static std::string convert(const pod_dispatcher::EventData& data)
    {
        return pod_dispatcher::testing::json_text([&] { return pod_dispatcher::detail::to_json(data, {}); });
    }
};

template <>
struct StringMaker<pod_dispatcher::RescueReport> {
    static std::string convert(const pod_dispatcher::RescueReport& report)
    {
        return "{terminated_pods: " + ::Catch::Detail::stringify(report.terminated_pods) +
               ", stranded_tasks: " + ::Catch::Detail::stringify(report.stranded_tasks) + "}";
    }
};

} // namespace Catch

#endif
