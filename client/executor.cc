#include "client/executor.h"

#include <utility>

namespace dns {
namespace {

// Lets ScheduleBlocking() and Shutdown() recognise their own worker threads.
thread_local const Executor* current_executor = nullptr;

}  // namespace

Executor::Executor() : Executor(Options{}) {}

Executor::Executor(Options options) : options_(options) {
  int n = options_.threads > 0 ? options_.threads : 1;
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

Executor::~Executor() { Shutdown(); }

absl::Status Executor::Schedule(Task task) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) {
    return absl::FailedPreconditionError("executor is shut down");
  }
  if (queue_.size() >= options_.max_queued) {
    return absl::ResourceExhaustedError(
        "executor queue is full (" + std::to_string(options_.max_queued) +
        " tasks)");
  }
  queue_.push_back(std::move(task));
  return absl::OkStatus();
}

absl::Status Executor::ScheduleBlocking(Task task) {
  if (InWorkerThread()) return Schedule(std::move(task));
  absl::MutexLock lock(&mu_);
  auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shutdown_ || queue_.size() < options_.max_queued;
  };
  mu_.Await(absl::Condition(&room));
  if (shutdown_) {
    return absl::FailedPreconditionError("executor is shut down");
  }
  queue_.push_back(std::move(task));
  return absl::OkStatus();
}

void Executor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

bool Executor::InWorkerThread() const { return current_executor == this; }

size_t Executor::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void Executor::WorkerLoop() {
  current_executor = this;
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return shutdown_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      // Drain before exiting: a dropped task would leave a promise unfulfilled.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace dns
