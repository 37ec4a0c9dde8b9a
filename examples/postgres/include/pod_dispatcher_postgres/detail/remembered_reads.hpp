#ifndef POD_DISPATCHER_POSTGRES_DETAIL_REMEMBERED_READS_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_REMEMBERED_READS_HPP

// The documents a unit of work has read, as stored, so that a guarded write of one of
// them can skip reading it again under a lock: the write checks the guard against what
// the unit read and is made only if the row still holds exactly that (document_rows.hpp).
// Kept for one attempt of a unit and forgotten when the next begins.

#include <string>
#include <string_view>
#include <unordered_map>

namespace pod_dispatcher_postgres::detail {

class RememberedReads {
public:
    /// Forgets every document, and remembers those read from now on only when on.
    void start(bool on)
    {
        on_ = on;
        documents_.clear();
    }

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
        const auto found = documents_.find(key(table, id));
        return found == documents_.end() ? nullptr : &found->second;
    }

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
};

} // namespace pod_dispatcher_postgres::detail

#endif
