#ifndef POD_DISPATCHER_MONGO_DETAIL_RAII_HPP
#define POD_DISPATCHER_MONGO_DETAIL_RAII_HPP

// Owning handles for the C driver's objects, so that no path leaks or double-frees one.

#include <mongoc/mongoc.h>

#include <memory>
#include <utility>
#include <vector>

namespace pod_dispatcher_mongo::detail {

/// Calls the driver's destroy function for one type.
template <auto Destroy>
struct Destroyer {
    template <class T>
    void operator()(T* p) const noexcept
    {
        Destroy(p);
    }
};

template <class T, auto Destroy>
using Owned = std::unique_ptr<T, Destroyer<Destroy>>;

using UriPtr = Owned<mongoc_uri_t, mongoc_uri_destroy>;
using PoolPtr = Owned<mongoc_client_pool_t, mongoc_client_pool_destroy>;
using CollectionPtr = Owned<mongoc_collection_t, mongoc_collection_destroy>;
using DatabasePtr = Owned<mongoc_database_t, mongoc_database_destroy>;
using CursorPtr = Owned<mongoc_cursor_t, mongoc_cursor_destroy>;
using SessionPtr = Owned<mongoc_client_session_t, mongoc_client_session_destroy>;
using ApmCallbacksPtr = Owned<mongoc_apm_callbacks_t, mongoc_apm_callbacks_destroy>;
using FindAndModifyOptsPtr = Owned<mongoc_find_and_modify_opts_t, mongoc_find_and_modify_opts_destroy>;
/// A heap bson_t, as BCON_NEW returns. (Not a unique_ptr: bson_t's alignment attribute
/// would be lost on the template argument.)
class BsonPtr {
public:
    explicit BsonPtr(bson_t* b) noexcept : b_(b) {}
    ~BsonPtr()
    {
        if (b_ != nullptr) {
            bson_destroy(b_);
        }
    }
    BsonPtr(BsonPtr&& other) noexcept : b_(std::exchange(other.b_, nullptr)) {}
    BsonPtr(const BsonPtr&) = delete;
    BsonPtr& operator=(const BsonPtr&) = delete;
    BsonPtr& operator=(BsonPtr&&) = delete;

    bson_t* get() const noexcept { return b_; }

private:
    bson_t* b_;
};

// bson_t's alignment attribute means nothing to a pointer to one; GCC warns anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
/// Documents to send in one command.
using BsonPointers = std::vector<const bson_t*>;
#pragma GCC diagnostic pop

/// A bson_t that lives on the stack and is always destroyed. The driver's "reply"
/// out-parameters are initialised by the driver even on failure; passing out() for
/// them is safe because an empty inline bson_t owns no memory.
class Bson {
public:
    Bson() noexcept { bson_init(&value_); }
    ~Bson() { bson_destroy(&value_); }
    Bson(const Bson&) = delete;
    Bson& operator=(const Bson&) = delete;

    bson_t* get() noexcept { return &value_; }
    const bson_t* get() const noexcept { return &value_; }

    /// For a driver call that initialises the document itself.
    bson_t* out() noexcept
    {
        bson_destroy(&value_);
        return &value_;
    }

private:
    bson_t value_;
};

/// A client popped from a pool, pushed back on destruction.
class PooledClient {
public:
    explicit PooledClient(mongoc_client_pool_t* pool) noexcept
        : pool_(pool), client_(mongoc_client_pool_pop(pool))
    {
    }
    ~PooledClient()
    {
        if (client_ != nullptr) {
            mongoc_client_pool_push(pool_, client_);
        }
    }
    PooledClient(PooledClient&& other) noexcept
        : pool_(other.pool_), client_(std::exchange(other.client_, nullptr))
    {
    }
    PooledClient(const PooledClient&) = delete;
    PooledClient& operator=(const PooledClient&) = delete;
    PooledClient& operator=(PooledClient&&) = delete;

    mongoc_client_t* get() const noexcept { return client_; }

private:
    mongoc_client_pool_t* pool_;
    mongoc_client_t* client_;
};

/// Calls mongoc_init once per process and mongoc_cleanup at exit.
inline void ensure_driver_initialised()
{
    struct Driver {
        Driver() { mongoc_init(); }
        ~Driver() { mongoc_cleanup(); }
        Driver(const Driver&) = delete;
        Driver& operator=(const Driver&) = delete;
    };
    static const Driver driver;
}

} // namespace pod_dispatcher_mongo::detail

#endif
