#ifndef POD_DISPATCHER_POSTGRES_DETAIL_BINARY_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_BINARY_HPP

// The few values of PostgreSQL's binary wire format the store exchanges: bigint, and
// arrays of bytea (a dispatcher's pods and queue read in one statement; ids written in
// one). Bytes travel as they are, so ids need no escaping.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_postgres::detail {

/// The type oid of bytea, which an array names for its elements.
inline constexpr std::uint32_t bytea_oid = 17;

/// A big-endian integer of sizeof(T) bytes at the front of bytes, which it consumes;
/// none when bytes is too short.
template <class T>
std::optional<T> take_big_endian(std::string_view& bytes)
{
    if (bytes.size() < sizeof(T)) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    }
    bytes.remove_prefix(sizeof(T));
    return static_cast<T>(value);
}

template <class T>
void put_big_endian(std::string& out, T value)
{
    const auto bits = static_cast<std::uint64_t>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        out.push_back(static_cast<char>((bits >> (8 * i)) & 0xffU));
    }
}

/// A bigint column; none when it is not 8 bytes.
inline std::optional<std::int64_t> bigint_of(std::string_view bytes)
{
    if (bytes.size() != sizeof(std::int64_t)) {
        return std::nullopt;
    }
    return take_big_endian<std::int64_t>(bytes);
}

/// A one-dimensional bytea[] (an empty one has no dimension), element by element; none
/// when it is anything else.
inline std::optional<std::vector<std::string>> byte_strings_of(std::string_view bytes)
{
    const auto dimensions = take_big_endian<std::int32_t>(bytes);
    const auto has_nulls = take_big_endian<std::int32_t>(bytes);
    const auto element_type = take_big_endian<std::uint32_t>(bytes);
    if (!dimensions || !has_nulls || element_type != bytea_oid || *dimensions > 1 || *dimensions < 0) {
        return std::nullopt;
    }
    std::vector<std::string> elements;
    if (*dimensions == 0) {
        return bytes.empty() ? std::optional{elements} : std::nullopt;
    }
    const auto count = take_big_endian<std::int32_t>(bytes);
    if (!count || *count < 0 || !take_big_endian<std::int32_t>(bytes)) { // then the lower bound
        return std::nullopt;
    }
    elements.reserve(static_cast<std::size_t>(*count));
    for (std::int32_t i = 0; i < *count; ++i) {
        const auto length = take_big_endian<std::int32_t>(bytes);
        if (!length || *length < 0 || bytes.size() < static_cast<std::size_t>(*length)) {
            return std::nullopt; // a NULL element (-1) is no id either
        }
        elements.emplace_back(bytes.substr(0, static_cast<std::size_t>(*length)));
        bytes.remove_prefix(static_cast<std::size_t>(*length));
    }
    return bytes.empty() ? std::optional{std::move(elements)} : std::nullopt;
}

/// ids as a one-dimensional bytea[] parameter.
inline std::string byte_string_array(const std::vector<std::string>& ids)
{
    std::string out;
    put_big_endian<std::int32_t>(out, 1); // dimensions
    put_big_endian<std::int32_t>(out, 0); // no NULLs
    put_big_endian<std::uint32_t>(out, bytea_oid);
    put_big_endian<std::int32_t>(out, static_cast<std::int32_t>(ids.size()));
    put_big_endian<std::int32_t>(out, 1); // lower bound
    for (const std::string& id : ids) {
        put_big_endian<std::int32_t>(out, static_cast<std::int32_t>(id.size()));
        out += id;
    }
    return out;
}

} // namespace pod_dispatcher_postgres::detail

#endif
