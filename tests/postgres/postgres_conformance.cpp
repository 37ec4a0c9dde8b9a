// PostgresStore through the conformance kit: every suite, each store on a new schema of
// the server POD_DISPATCHER_POSTGRES_URI names; every test skips, saying so, without one.

#include "scratch_schema.hpp"

#include <pod_dispatcher/testing/conformance.hpp>

POD_DISPATCHER_CONFORMANCE_TESTS("PostgresStore", postgres_test::MakeScratchStore)
