// Feeds arbitrary bytes to every document's JSON conversion: try_value_to must refuse
// bad input without crashing, and whatever it accepts must write and read back equal.
// An event's payload is read by its type, so the same "data" object is tried as every
// payload too.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class T>
void check_round_trip(const boost::json::value& jv)
{
    const auto doc = boost::json::try_value_to<T>(jv);
    if (!doc)
        return;
    const auto again = boost::json::try_value_to<T>(boost::json::value_from(*doc));
    if (!again || *again != *doc)
        std::abort();
}

template <class... Ts>
void check_round_trips(const boost::json::value& jv)
{
    (check_round_trip<Ts>(jv), ...);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    boost::system::error_code ec;
    const auto jv = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec)
        return 0;
    using namespace pod_dispatcher;
    check_round_trips<PodDispatcher, Task, Dependency, Pod, ProjectRef, Event, AllocationData, DispatchData,
                      SystemFailureData, AssignmentData, StatusChangeData, FinishData, Query, DispatcherUpdate,
                      ChangeInfo, TaskStatus, ExecutionPlatform, PodStatus, EventType>(jv);
    return 0;
}
