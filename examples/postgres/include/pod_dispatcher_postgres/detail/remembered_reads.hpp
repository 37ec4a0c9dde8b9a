#ifndef POD_DISPATCHER_POSTGRES_DETAIL_REMEMBERED_READS_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_REMEMBERED_READS_HPP

// The documents a unit of work has read, as stored, so that a guarded write of one of
// them can skip reading it again under a lock: the write checks the guard against what
// the unit read and is made only if the row still holds exactly that (document_rows.hpp).
// The same for the fronts of dispatchers' queues: a dequeue of what the unit read is made
// only if the dispatcher is still as read (dispatcher_rows.hpp). Kept for one attempt of
// a unit and forgotten when the next begins.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pod_dispatcher_postgres::detail {

/// The front of a dispatcher's queue as a unit read it, with the group and the count it
/// read it under.
struct ReadFront {
    std::string group_id;
    std::int64_t modification_count;
    std::vector<std::string> ids;
};

class RememberedReads {
public:
    /// Forgets everything, and remembers what is read from now on only when on.
    void start(bool on)
    {
        on_ = on;
        forget();
    }

    /// Forgets everything, and goes on remembering as before: a savepoint took back some
    /// of the unit's writes.
    void forget() noexcept
    {
        documents_.clear();
        fronts_.clear();
    }

    /// Whether what the unit reads is remembered.
    bool on() const noexcept { return on_; }

    /// That the row of table with this id holds document, as read or written by the unit.
    void remember(std::string_view table, std::string_view id, std::string_view document)
    {
        if (on_) {
            documents_.insert_or_assign(key(table, id), std::string(document));
        }
    }

    /// What the unit last read or wrote in the row of table with this id, if anything.
    const std::string* find(std::string_view table, std::string_view id) const
    {
        if (documents_.empty()) { // outside a unit that remembers: no key built
            return nullptr;
        }
        const auto found = documents_.find(key(table, id));
        return found == documents_.end() ? nullptr : &found->second;
    }

    /// That the unit read the front of the queue of this dispatcher as read says.
    void remember_front(std::string_view dispatcher_id, ReadFront read)
    {
        if (on_) {
            fronts_.insert_or_assign(std::string(dispatcher_id), std::move(read));
        }
    }

    /// What the unit read of the front of this dispatcher's queue, if it has not written
    /// a dispatcher since.
    const ReadFront* find_front(std::string_view dispatcher_id) const
    {
        if (fronts_.empty()) {
            return nullptr;
        }
        const auto found = fronts_.find(std::string(dispatcher_id));
        return found == fronts_.end() ? nullptr : &found->second;
    }

    /// Forgets the fronts read: the unit writes a dispatcher.
    void forget_fronts() noexcept { fronts_.clear(); }

private:
    /// A table's name holds no NUL byte, so the first one ends it; the id follows whole.
    static std::string key(std::string_view table, std::string_view id)
    {
        std::string k(table);
        k.push_back('\0');
        k.append(id);
        return k;
    }

    bool on_ = false;
    std::unordered_map<std::string, std::string> documents_;
    std::unordered_map<std::string, ReadFront> fronts_;
};

} // namespace pod_dispatcher_postgres::detail

#endif
