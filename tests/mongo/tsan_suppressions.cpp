// ThreadSanitizer cannot see the synchronisation inside the C driver, which is built
// without it, and reports races between the driver's own monitoring threads and its
// callers. Those reports are suppressed; races in code built here still show.

extern "C" const char* __tsan_default_suppressions()
{
    return "race:libmongoc-1.0.so\n"
           "race:libbson-1.0.so\n";
}
