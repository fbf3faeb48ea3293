// What the server-streaming calls (WatchHealth, ExecuteFailover) share: a
// write reactor that holds no thread while it waits and is reached by
// timers, the event hub and the runner through a link that outlives it, so
// a callback that fires after the call ended finds nothing instead of a
// freed reactor.
//
// Lifetime: the reactor starts with two references, one for the code that
// begins the stream (it calls Release() when done) and one for gRPC's
// OnDone; every callback that reaches it through WithReactor holds one more
// while it runs. The last Release() deletes it.
#ifndef DNS_SERVER_STREAM_REACTOR_H_
#define DNS_SERVER_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/grpc_status.h"

namespace dns {

// A stream refused before it began (not authorised, nothing to serve it).
template <typename Message>
class RefusedStream : public grpc::ServerWriteReactor<Message> {
 public:
  explicit RefusedStream(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

template <typename Derived, typename Message>
class StreamReactor : public grpc::ServerWriteReactor<Message> {
 public:
  // Holds the base: the derived object is not constructed yet when the
  // link is made (a downcast then is undefined), only when it is used.
  struct Link {
    absl::Mutex mu;
    StreamReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  };

  // Ends the stream once (later calls do nothing).
  void End(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    this->Finish(ToGrpcStatus(status));
  }

  void OnCancel() override { End(absl::CancelledError("cancelled by the client")); }

  void Release() {
    if (--refs_ == 0) delete static_cast<Derived*>(this);
  }

  // Runs `fn` on the reactor if it is still there, without holding the
  // link's lock meanwhile (gRPC may complete the call inline from it).
  template <typename Fn>
  static void WithReactor(const std::weak_ptr<Link>& weak, Fn fn) {
    std::shared_ptr<Link> link = weak.lock();
    if (!link) return;
    StreamReactor* reactor;
    {
      absl::MutexLock lock(&link->mu);
      reactor = link->reactor;
      if (reactor == nullptr) return;
      ++reactor->refs_;
    }
    fn(*static_cast<Derived*>(reactor));
    reactor->Release();
  }

 protected:
  StreamReactor() : link_(std::make_shared<Link>()) {
    absl::MutexLock lock(&link_->mu);
    link_->reactor = this;
  }
  virtual ~StreamReactor() = default;

  std::weak_ptr<Link> weak_link() const { return link_; }

  // From OnDone: callbacks arriving later find no reactor.
  void Unlink() {
    absl::MutexLock lock(&link_->mu);
    link_->reactor = nullptr;
  }

  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;

 private:
  std::atomic<int> refs_{2};
  const std::shared_ptr<Link> link_;
};

// A stream whose messages are queued by the call's own logic and written
// one at a time; once Done() is called and the queue is empty it finishes
// with the given status. ExecuteFailover and CheckConsistency use it.
template <typename Derived, typename Message>
class QueuedStreamReactor : public StreamReactor<Derived, Message> {
 public:
  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&this->mu_);
      writing_ = false;
    }
    if (!ok) {
      this->End(absl::CancelledError("the client went away"));
      return;
    }
    Pump();
  }

 protected:
  // Starts the next write or ends the stream; gRPC is called outside mu_
  // (a completion may run inline on this thread).
  void Pump() {
    enum { kNothing, kWrite, kFinish } action = kNothing;
    absl::Status end;
    {
      absl::MutexLock lock(&this->mu_);
      if (writing_ || this->finished_) return;
      if (!queue_.empty()) {
        message_ = std::move(queue_.front());
        queue_.pop_front();
        writing_ = true;
        action = kWrite;
      } else if (done_) {
        this->finished_ = true;
        end = end_;
        action = kFinish;
      }
    }
    if (action == kWrite) this->StartWrite(&message_);
    if (action == kFinish) this->Finish(ToGrpcStatus(end));
  }

  // Nothing more will be queued: finish with `status` after the queue.
  void Done(const absl::Status& status) {
    {
      absl::MutexLock lock(&this->mu_);
      done_ = true;
      end_ = status;
    }
    Pump();
  }

  std::deque<Message> queue_ ABSL_GUARDED_BY(this->mu_);
  bool done_ ABSL_GUARDED_BY(this->mu_) = false;

 private:
  Message message_;  // owned by the write in flight
  bool writing_ ABSL_GUARDED_BY(this->mu_) = false;
  absl::Status end_ ABSL_GUARDED_BY(this->mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_STREAM_REACTOR_H_
