#ifndef POD_DISPATCHER_TESTS_SQLITE_ELSEWHERE_HPP
#define POD_DISPATCHER_TESTS_SQLITE_ELSEWHERE_HPP

// A store's file as another program sees it, through a connection of its own: what a
// statement returns, and how many rows the store writes to a table (counted by triggers).
// The SQLite tests and the benchmarks share it; a failure throws, which fails a test.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sqlite_test {

/// One column of each row sql returns, run on the file through a connection of its own,
/// as another program would.
inline std::vector<std::string> column_elsewhere(const std::filesystem::path& file, const std::string& sql,
                                                 int column = 0)
{
    sqlite3* db = nullptr;
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
        std::string message = "opening " + file.string() + ": " + sqlite3_errmsg(db);
        sqlite3_close_v2(db);
        throw std::runtime_error(message);
    }
    struct Reading {
        int column;
        std::vector<std::string> values;
    } reading{column, {}};
    const auto collect = [](void* into, int, char** values, char**) {
        auto& r = *static_cast<Reading*>(into);
        r.values.emplace_back(values[r.column] == nullptr ? "" : values[r.column]);
        return 0;
    };
    const int rc = sqlite3_exec(db, sql.c_str(), collect, &reading, nullptr);
    std::string message = rc == SQLITE_OK ? "" : sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    if (rc != SQLITE_OK) {
        throw std::runtime_error(sql + ": " + message);
    }
    return reading.values;
}

/// Runs sql on the file as another program would.
inline void execute_elsewhere(const std::filesystem::path& file, const std::string& sql)
{
    column_elsewhere(file, sql);
}

/// Counts the rows that any connection inserts, updates or deletes in a table of the file,
/// through triggers another program puts there.
class RowsWritten {
public:
    RowsWritten(std::filesystem::path file, std::string table) : file_(std::move(file)), table_(std::move(table))
    {
        std::string sql = "CREATE TABLE IF NOT EXISTS rows_written (name TEXT PRIMARY KEY, n INTEGER NOT NULL);"
                          "INSERT INTO rows_written VALUES ('" + table_ + "', 0);";
        for (const std::string event : {"INSERT", "UPDATE", "DELETE"}) {
            sql += "CREATE TRIGGER count_" + event + "_" + table_ + " AFTER " + event + " ON " + table_ +
                   " BEGIN UPDATE rows_written SET n = n + 1 WHERE name = '" + table_ + "'; END;";
        }
        execute_elsewhere(file_, sql);
    }

    const std::string& table() const noexcept { return table_; }

    /// How many so far.
    std::int64_t operator()() const
    {
        return std::stoll(column_elsewhere(file_, "SELECT n FROM rows_written WHERE name = '" + table_ + "'").at(0));
    }

private:
    std::filesystem::path file_;
    std::string table_;
};

} // namespace sqlite_test

#endif
