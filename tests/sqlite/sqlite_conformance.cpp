// SqliteStore through the conformance kit: every suite, each store on a new file.

#include "scratch_store.hpp"

#include <pod_dispatcher/testing/conformance.hpp>

POD_DISPATCHER_CONFORMANCE_TESTS("SqliteStore", sqlite_test::MakeScratchStore)
