#include "storage/pg_event_channel.h"

#include <memory>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"
#include "storage/pg_errors.h"

namespace dns {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel,
           const std::function<void(const std::string&)>& fn)
      : pqxx::notification_receiver(conn, channel), fn_(fn) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    for (absl::string_view line : absl::StrSplit(payload, '\n', absl::SkipEmpty())) {
      fn_(std::string(line));
    }
  }

 private:
  const std::function<void(const std::string&)>& fn_;
};

// PostgreSQL refuses notification payloads of 8000 bytes or more.
constexpr size_t kMaxPayload = 7900;

std::string WithApplicationName(const std::string& url, const std::string& name) {
  return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                      "application_name=", name);
}

}  // namespace

PgEventChannel::PgEventChannel(Options options,
                               std::function<void(const std::string&)> on_message,
                               std::function<void()> on_reconnect)
    : options_(std::move(options)),
      on_message_(std::move(on_message)),
      on_reconnect_(std::move(on_reconnect)) {}

PgEventChannel::~PgEventChannel() { Stop(); }

void PgEventChannel::Start() {
  listener_ = std::thread([this] { Listen(); });
  sender_ = std::thread([this] { SendLoop(); });
}

void PgEventChannel::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (listener_.joinable()) listener_.join();
  if (sender_.joinable()) sender_.join();
}

bool PgEventChannel::listening() {
  absl::MutexLock lock(&mu_);
  return listening_;
}

void PgEventChannel::Send(std::string payload) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  if (queue_.size() >= options_.max_queued) queue_.pop_front();
  queue_.push_back(std::move(payload));
}

void PgEventChannel::Listen() {
  const std::string url =
      WithApplicationName(options_.url, absl::StrCat(options_.application_name, "-listen"));
  absl::Duration pause = absl::Milliseconds(100);
  bool first = true;
  auto stopping = [this] {
    absl::MutexLock lock(&mu_);
    return stopping_;
  };
  while (!stopping()) {
    try {
      pqxx::connection conn(url);
      Receiver receiver(conn, options_.channel, on_message_);
      {
        absl::MutexLock lock(&mu_);
        listening_ = true;
      }
      if (!first) on_reconnect_();
      first = false;
      pause = absl::Milliseconds(100);
      while (!stopping()) conn.await_notification(0, 200000);
    } catch (const std::exception& e) {
      absl::Status st = StatusFromCurrentException("listening for events");
      spdlog::warn("event channel: {}", std::string(st.message()));
    }
    {
      absl::MutexLock lock(&mu_);
      listening_ = false;
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), pause);
    }
    pause = std::min(pause * 2, absl::Seconds(5));
  }
}

void PgEventChannel::SendLoop() {
  const std::string url =
      WithApplicationName(options_.url, absl::StrCat(options_.application_name, "-notify"));
  std::unique_ptr<pqxx::connection> conn;
  while (true) {
    std::deque<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      batch.swap(queue_);
    }
    // Messages travel several to a notification (one per line) and the
    // notifications of a batch in one transaction: one commit for many.
    std::vector<std::string> notes;
    for (std::string& payload : batch) {
      if (notes.empty() || notes.back().size() + 1 + payload.size() > kMaxPayload) {
        notes.push_back(std::move(payload));
      } else {
        absl::StrAppend(&notes.back(), "\n", payload);
      }
    }
    try {
      if (!conn) conn = std::make_unique<pqxx::connection>(url);
      pqxx::work txn(*conn);
      for (const std::string& note : notes) {
        txn.exec_params("SELECT pg_notify($1, $2)", options_.channel, note);
      }
      txn.commit();
    } catch (const std::exception& e) {
      // Hints only: drop them, reconnect on the next batch.
      absl::Status st = StatusFromCurrentException("sending events");
      spdlog::warn("event channel: {} ({} messages dropped)", std::string(st.message()), batch.size());
      conn.reset();
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(500));
    }
  }
}

}  // namespace dns
