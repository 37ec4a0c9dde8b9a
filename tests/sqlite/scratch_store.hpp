#ifndef POD_DISPATCHER_TESTS_SQLITE_SCRATCH_STORE_HPP
#define POD_DISPATCHER_TESTS_SQLITE_SCRATCH_STORE_HPP

// Database files that last as long as a test needs them.

#include <pod_dispatcher_sqlite/sqlite_store.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace sqlite_test {

/// A fresh directory under the system's temporary directory, removed with everything in it.
class ScratchDirectory {
public:
    ScratchDirectory()
    {
        std::string name = (std::filesystem::temp_directory_path() / "pod_dispatcher_sqlite.XXXXXX").string();
        if (::mkdtemp(name.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = name;
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    ~ScratchDirectory()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::filesystem::path& path() const noexcept { return path_; }

    /// The database file tests in this directory share.
    std::filesystem::path database() const { return path_ / "store.db"; }

private:
    std::filesystem::path path_;
};

/// Opens file, or fails the test.
inline pod_dispatcher_sqlite::SqliteStore open_store(const std::filesystem::path& file,
                                                     pod_dispatcher_sqlite::SqliteStoreOptions options = {})
{
    auto opened = pod_dispatcher_sqlite::SqliteStore::open(file, std::move(options));
    if (!opened) {
        throw std::system_error(opened.error(), "opening " + file.string());
    }
    return std::move(opened).value();
}

/// A SqliteStore on a new file of its own, deleted with the store.
class ScratchStore : private ScratchDirectory, public pod_dispatcher_sqlite::SqliteStore {
public:
    ScratchStore() : SqliteStore(open_store(database())) {}

    using ScratchDirectory::database;
};

/// A fresh store for each test of the conformance kit.
struct MakeScratchStore {
    static std::unique_ptr<ScratchStore> make() { return std::make_unique<ScratchStore>(); }
};

} // namespace sqlite_test

#endif
