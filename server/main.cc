// ringkv-server [config-file] [--name value ...], like redis-server.
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "server/config.h"
#include "server/server.h"

namespace {

constexpr const char* kVersion = "7.0.0";  // the Redis version whose behaviour we follow

void Usage() {
  fprintf(stderr,
          "Usage: ringkv-server [/path/to/redis.conf] [--option value ...]\n"
          "       ringkv-server -v or --version\n"
          "       ringkv-server -h or --help\n\n"
          "Examples:\n"
          "       ringkv-server (embedded defaults: port 6379, data in ./ringkv-data)\n"
          "       ringkv-server redis.conf\n"
          "       ringkv-server --port 7777 --dir /var/lib/ringkv\n"
          "Options are documented in redis.conf.example.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ringkv::server;
  if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
    printf("ringkv-server v=%s (Redis protocol %s compatible)\n", kVersion, kVersion);
    return 0;
  }
  if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    Usage();
    return 0;
  }
  Config config;
  if (Status s = ParseCommandLine(argc, argv, &config); !s.ok()) {
    fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n%s\n", s.message().c_str());
    return 1;
  }
  if (config.daemonize) {
    if (daemon(1, 0) != 0) {
      perror("daemonize");
      return 1;
    }
  }
  Server server(std::move(config));
  if (!server.Start()) return 1;
  return server.Run();
}
