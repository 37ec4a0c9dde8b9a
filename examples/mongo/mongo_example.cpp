#include <pod_dispatcher_mongo/mongo_store.hpp>
int main() {}
