#ifndef POD_DISPATCHER_SQL_JSON_TEXT_HPP
#define POD_DISPATCHER_SQL_JSON_TEXT_HPP

// Documents as the JSON text stored in a row, through the library's own conversion (which
// reads the Fields tables), so that a store names no field itself.

#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace pod_dispatcher_sql {

/// doc as JSON text. Ids are bytes: the text carries them as they are, invalid UTF-8
/// included (decode accepts it back), so store it as bytes, not in a column that insists
/// on UTF-8. Errc::invalid_argument for a document JSON cannot hold (a timestamp outside
/// years 0000 to 9999, an enum value that names nothing).
template <class D>
pod_dispatcher::Result<std::string> encode(const D& doc)
{
    try {
        return boost::json::serialize(boost::json::value_from(doc));
    } catch (const std::system_error&) {
        return pod_dispatcher::Errc::invalid_argument;
    }
}

/// The document text holds; Errc::store_unavailable when it holds none (a row another
/// program wrote badly), as for any backend that returns garbage.
template <class D>
pod_dispatcher::Result<D> decode(std::string_view text)
{
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    boost::json::error_code ec;
    const boost::json::value parsed = boost::json::parse(text, ec, {}, options);
    if (ec) {
        return pod_dispatcher::Errc::store_unavailable;
    }
    auto doc = boost::json::try_value_to<D>(parsed);
    if (!doc) {
        return pod_dispatcher::Errc::store_unavailable;
    }
    return std::move(*doc);
}

} // namespace pod_dispatcher_sql

#endif
