#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_PUBLISHED_REFS_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_PUBLISHED_REFS_HPP

// MemoryStore's committed project refs, found without taking a lock. Every dispatch reads
// its task's project ref, and most tasks share a few projects: read under the stripe's
// shared lock, each read writes the lock's word, and threads dispatching on separate
// dispatchers pass that cache line back and forth. A ref is only ever inserted, never
// changed or erased, so once its unit commits it stays valid and true: a unit that finds
// it here needs no lock to go on trusting it. One that does not find it looks again
// under the stripe's lock, where an insert not yet committed holds the stripe.

#include <pod_dispatcher/detail/memory_store/stripes.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

/// A hash set of entries of a node map (key and value), which the map neither moves nor
/// erases once published. Readers probe it with atomic loads only; publishers take a mutex.
template <class V>
class PublishedEntries {
public:
    using Entry = std::pair<const std::string, V>;

    /// The value published under key, or nullptr.
    const V* find(const HashedKey& key) const noexcept
    {
        const Table* table = table_.load(std::memory_order_acquire);
        if (table == nullptr) {
            return nullptr;
        }
        for (std::size_t i = key.hash() & table->mask;; i = (i + 1) & table->mask) {
            const Entry* entry = table->slots[i].load(std::memory_order_acquire);
            if (entry == nullptr) {
                return nullptr;
            }
            if (entry->first == key.key()) {
                return &entry->second;
            }
        }
    }

    /// Makes entry, whose key is not published yet, visible to find.
    void publish(const Entry& entry)
    {
        const std::scoped_lock held{publishing_};
        Table* table = table_.load(std::memory_order_relaxed);
        if (table == nullptr || 2 * (published_ + 1) > table->mask + 1) {
            table = grown(table);
        }
        place(*table, entry);
        ++published_;
    }

private:
    struct Table {
        explicit Table(std::size_t size) : slots(std::make_unique<std::atomic<const Entry*>[]>(size)), mask(size - 1) {}

        std::unique_ptr<std::atomic<const Entry*>[]> slots;
        std::size_t mask; ///< Size - 1; the size is a power of two.
    };

    static void place(Table& table, const Entry& entry)
    {
        std::size_t i = HashedKey{entry.first}.hash() & table.mask;
        while (table.slots[i].load(std::memory_order_relaxed) != nullptr) {
            i = (i + 1) & table.mask;
        }
        table.slots[i].store(&entry, std::memory_order_release);
    }

    /// A table twice the size of old (or a first one) holding old's entries, in use from
    /// now on. Old tables are kept: a reader may still be probing one.
    Table* grown(const Table* old)
    {
        static constexpr std::size_t first_size = 16;
        auto table = std::make_unique<Table>(old == nullptr ? first_size : 2 * (old->mask + 1));
        if (old != nullptr) {
            for (std::size_t i = 0; i <= old->mask; ++i) {
                if (const Entry* entry = old->slots[i].load(std::memory_order_relaxed)) {
                    place(*table, *entry);
                }
            }
        }
        table_.store(table.get(), std::memory_order_release);
        tables_.push_back(std::move(table));
        return tables_.back().get();
    }

    std::atomic<Table*> table_{nullptr};
    std::mutex publishing_;
    std::size_t published_ = 0;
    std::vector<std::unique_ptr<Table>> tables_; ///< Every table made, the one in use last.
};

} // namespace pod_dispatcher::detail

#endif
