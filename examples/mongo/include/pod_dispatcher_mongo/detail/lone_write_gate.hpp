#ifndef POD_DISPATCHER_MONGO_DETAIL_LONE_WRITE_GATE_HPP
#define POD_DISPATCHER_MONGO_DETAIL_LONE_WRITE_GATE_HPP

// Keeps a store object's own writes of tasks and pods made outside any unit of work apart
// from its units of work, when no transaction does. Claims keep units apart; a lone write
// holds no claim, and on a server whose conditional update is two steps it could undo a
// unit's write to the same document. Units share the gate; a lone write waits for the
// units in progress and holds it alone. A lone write in the turnstile stops new units
// from entering, so that a stream of units cannot starve it.

#include <mutex>
#include <shared_mutex>

namespace pod_dispatcher_mongo::detail {

class LoneWriteGate {
public:
    std::shared_lock<std::shared_mutex> enter_unit()
    {
        const std::lock_guard turn{turnstile_};
        return std::shared_lock{gate_};
    }

    std::unique_lock<std::shared_mutex> enter_lone_write()
    {
        const std::lock_guard turn{turnstile_};
        return std::unique_lock{gate_};
    }

private:
    std::mutex turnstile_;
    std::shared_mutex gate_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
