// Errc: its own category, comparable with std::error_code.

#include <pod_dispatcher/error.hpp>

#include <catch2/catch_test_macros.hpp>

#include <set>
#include <string>

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

TEST_CASE("Errc", "[error]")
{
    SECTION("has its own category named pod_dispatcher")
    {
        const std::error_code code = Errc::conflict;
        REQUIRE(std::string(code.category().name()) == "pod_dispatcher");
        REQUIRE(code.category() == pod_dispatcher::error_category());
    }
    SECTION("compares with a Result's error")
    {
        const Result<int> result = Errc::pod_busy;
        REQUIRE(result.error() == Errc::pod_busy);
        REQUIRE(result.error() != Errc::conflict);
        REQUIRE(result.error() != std::make_error_code(std::errc::device_or_resource_busy));
    }
    SECTION("every code has its own message")
    {
        std::set<std::string> messages;
        for (int e = static_cast<int>(Errc::invalid_argument); e <= static_cast<int>(Errc::store_unavailable); ++e) {
            messages.insert(make_error_code(static_cast<Errc>(e)).message());
        }
        REQUIRE(messages.size() == 8);
    }
}
