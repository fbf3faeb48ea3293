// A local HTTP server standing in for a PowerDNS webserver in unit tests.
#ifndef DNS_TESTS_CLIENT_TEST_PEER_H_
#define DNS_TESTS_CLIENT_TEST_PEER_H_

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
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

// Accepts one connection on loopback, keeps the raw request bytes and sends
// a canned response. For checking exactly what goes on the wire (httplib's
// server drops headers with empty values, e.g. "Expect:").
class RawPeer {
 public:
  explicit RawPeer(std::string response) : response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 1);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawPeer() {
    if (thread_.joinable()) {
      shutdown(listen_fd_, SHUT_RDWR);
      thread_.join();
    }
    close(listen_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Waits for the exchange to finish.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buf[4096];
    size_t body_needed = std::string::npos;
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
      size_t end = request_.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (body_needed == std::string::npos) {
        size_t cl = request_.find("Content-Length: ");
        body_needed = cl == std::string::npos || cl > end
                          ? 0
                          : std::strtoul(request_.c_str() + cl + 16, nullptr, 10);
      }
      if (request_.size() >= end + 4 + body_needed) break;
    }
    send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
    close(fd);
  }

  std::string response_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string request_;
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
