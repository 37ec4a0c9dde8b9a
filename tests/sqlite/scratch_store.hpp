#ifndef POD_DISPATCHER_TESTS_SQLITE_SCRATCH_STORE_HPP
#define POD_DISPATCHER_TESTS_SQLITE_SCRATCH_STORE_HPP

// Database files that last as long as a test (or a benchmark) needs them.

#include <pod_dispatcher_sqlite/sqlite_store.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace sqlite_test {

/// A fresh directory under parent (the system's temporary directory unless given),
/// removed with everything in it.
class ScratchDirectory {
public:
    explicit ScratchDirectory(const std::filesystem::path& parent = std::filesystem::temp_directory_path())
    {
        std::string name = (parent / "pod_dispatcher_sqlite.XXXXXX").string();
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

/// Where scratch files go: in memory where the system has a file system there (/dev/shm).
/// What the operating system holds outlives a process killed with SIGKILL, so a disk would
/// show a crash test nothing more, and only make each commit wait for its syncs.
inline std::filesystem::path scratch_parent()
{
    std::error_code ignored;
    const std::filesystem::path memory = "/dev/shm";
    return std::filesystem::is_directory(memory, ignored) ? memory : std::filesystem::temp_directory_path();
}

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

/// A store object of its own on file, for a worker process or thread
/// (testing/multi_process.hpp's StoreOpener); null when it cannot be opened.
inline std::unique_ptr<pod_dispatcher_sqlite::SqliteStore> open_own_store(std::string_view file)
{
    auto opened = pod_dispatcher_sqlite::SqliteStore::open(std::string(file));
    return opened ? std::make_unique<pod_dispatcher_sqlite::SqliteStore>(std::move(opened).value()) : nullptr;
}

/// A SqliteStore on a new file of its own under parent, deleted with the store.
class ScratchStore : private ScratchDirectory, public pod_dispatcher_sqlite::SqliteStore {
public:
    explicit ScratchStore(const std::filesystem::path& parent = std::filesystem::temp_directory_path())
        : ScratchDirectory(parent), SqliteStore(open_store(database()))
    {
    }

    using ScratchDirectory::database;
};

/// A fresh store for each test of the conformance kit.
struct MakeScratchStore {
    static std::unique_ptr<ScratchStore> make() { return std::make_unique<ScratchStore>(); }
};

} // namespace sqlite_test

#endif
