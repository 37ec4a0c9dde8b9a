#ifndef POD_DISPATCHER_DETAIL_JSON_TIMESTAMP_HPP
#define POD_DISPATCHER_DETAIL_JSON_TIMESTAMP_HPP

// Timestamps as RFC 3339 UTC strings: "2026-11-27T17:30:00.123Z".

#include <pod_dispatcher/documents.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

namespace pod_dispatcher::detail {

inline constexpr std::chrono::sys_days first_formattable_day{std::chrono::year{0} / 1 / 1};
inline constexpr std::chrono::sys_days first_unformattable_day{std::chrono::year{10000} / 1 / 1};

/// Whether t lies in RFC 3339's years 0000 to 9999.
inline bool is_formattable(Timestamp t) noexcept
{
    return first_formattable_day <= t && t < first_unformattable_day;
}

/// "YYYY-MM-DDTHH:MM:SS.mmmZ"; requires is_formattable(t).
inline std::array<char, 24> format_timestamp(Timestamp t) noexcept
{
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss time{t - day};
    std::array<char, 24> text{};
    auto put = [&text](std::size_t pos, std::size_t width, long long n) {
        for (std::size_t i = width; i-- > 0; n /= 10)
            text[pos + i] = static_cast<char>('0' + n % 10);
    };
    put(0, 4, int{date.year()});
    text[4] = '-';
    put(5, 2, unsigned{date.month()});
    text[7] = '-';
    put(8, 2, unsigned{date.day()});
    text[10] = 'T';
    put(11, 2, time.hours().count());
    text[13] = ':';
    put(14, 2, time.minutes().count());
    text[16] = ':';
    put(17, 2, time.seconds().count());
    text[19] = '.';
    put(20, 3, time.subseconds().count());
    text[23] = 'Z';
    return text;
}

/// The number written by the n digits at pos, or -1 if any is not a digit.
inline int parse_digits(std::string_view text, std::size_t pos, std::size_t n) noexcept
{
    int value = 0;
    for (char c : text.substr(pos, n)) {
        if (c < '0' || c > '9')
            return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

/// Milliseconds written by the 1 to 9 fraction digits after a '.'; later digits are
/// truncated, as Timestamp holds milliseconds. -1 if malformed.
inline int parse_milliseconds(std::string_view fraction) noexcept
{
    if (fraction.empty() || fraction.size() > 9 || parse_digits(fraction, 0, fraction.size()) < 0)
        return -1;
    int ms = 0;
    for (std::size_t i = 0; i < 3; ++i)
        ms = ms * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    return ms;
}

/// Parses "YYYY-MM-DDTHH:MM:SS[.f]Z" with 1 to 9 fraction digits; nothing else
/// (no offsets, no leap seconds, no lowercase 't' or 'z').
inline std::optional<Timestamp> parse_timestamp(std::string_view text) noexcept
{
    using namespace std::chrono;
    constexpr std::string_view shape = "0000-00-00T00:00:00";
    if (text.size() < shape.size() + 1 || text.back() != 'Z')
        return std::nullopt;
    for (const std::size_t i : {4U, 7U, 10U, 13U, 16U})
        if (text[i] != shape[i])
            return std::nullopt;
    const std::string_view rest = text.substr(shape.size(), text.size() - shape.size() - 1);
    const int ms = rest.empty() ? 0 : rest.front() == '.' ? parse_milliseconds(rest.substr(1)) : -1;
    const int y = parse_digits(text, 0, 4);
    const int mo = parse_digits(text, 5, 2);
    const int d = parse_digits(text, 8, 2);
    const int h = parse_digits(text, 11, 2);
    const int mi = parse_digits(text, 14, 2);
    const int s = parse_digits(text, 17, 2);
    if (std::min({y, mo, d, h, mi, s, ms}) < 0 || h > 23 || mi > 59 || s > 59)
        return std::nullopt;
    const year_month_day date{year{y}, month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!date.ok())
        return std::nullopt;
    return sys_days{date} + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms};
}

} // namespace pod_dispatcher::detail

#endif
