// A local HTTP server standing in for a PowerDNS webserver in unit tests.
#ifndef DNS_TESTS_CLIENT_TEST_PEER_H_
#define DNS_TESTS_CLIENT_TEST_PEER_H_

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace dns::testing {

class TestPeer {
 public:
  // `setup` registers the handlers; it runs before the server starts.
  explicit TestPeer(const std::function<void(httplib::Server&)>& setup) {
    // Like PowerDNS 4.7: one request per connection.
    server_.set_keep_alive_max_count(1);
    // Enough threads that the peer never limits the concurrency under test.
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    setup(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  ~TestPeer() {
    server_.stop();
    thread_.join();
  }

  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

// A loopback TCP port with nothing listening (bound, read, released).
inline int ClosedTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace dns::testing

#endif  // DNS_TESTS_CLIENT_TEST_PEER_H_
