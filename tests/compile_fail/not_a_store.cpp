// Must not compile: an int is not a Store, and the operations say so.

#include <pod_dispatcher/pod_dispatcher.hpp>

int main()
{
    int not_a_store = 0;
    return pod_dispatcher::find_one_by_id(not_a_store, "id") ? 0 : 1;
}
