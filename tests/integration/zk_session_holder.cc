// A ZooKeeper client that holds one session with an ephemeral node until it is killed:
//   zk_session_holder HOSTS PATH TIMEOUT_MS
// Connects through Debian's C client, creates PATH as an ephemeral, prints "ready <session
// id in hex>" and waits. Tests SIGKILL it, so that its session dies without closing.
#include <unistd.h>
#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s HOSTS PATH TIMEOUT_MS\n", argv[0]);
    return 2;
  }
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zhandle_t* zh = zookeeper_init(argv[1], nullptr, std::atoi(argv[3]), nullptr, nullptr, 0);
  if (zh == nullptr) return 1;
  // The create waits for the connection (the C client queues requests until connected).
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int rc =
        zoo_create(zh, argv[2], "held", 4, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZOK) {
      std::printf("ready %llx\n", static_cast<unsigned long long>(zoo_client_id(zh)->client_id));
      std::fflush(stdout);
      for (;;) pause();
    }
    usleep(100 * 1000);
  }
  return 1;
}
