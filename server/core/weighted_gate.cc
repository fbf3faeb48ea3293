#include "server/core/weighted_gate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dns {

WeightedGate::Ticket& WeightedGate::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = other.gate_;
    weight_ = other.weight_;
    other.gate_ = nullptr;
  }
  return *this;
}

void WeightedGate::Ticket::Release() {
  if (gate_ == nullptr) return;
  absl::MutexLock lock(&gate_->mu_);
  gate_->in_use_ -= weight_;
  gate_ = nullptr;
}

WeightedGate::WeightedGate(int64_t capacity, int64_t free_below)
    : capacity_(capacity), free_below_(free_below) {}

absl::StatusOr<WeightedGate::Ticket> WeightedGate::Acquire(int64_t weight, absl::Time deadline,
                                                           const char* what) {
  if (capacity_ <= 0 || weight < free_below_) return Ticket();
  weight = std::min(weight, capacity_);
  absl::MutexLock lock(&mu_);
  auto fits = [this, weight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ + weight <= capacity_;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&fits), deadline)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the service is busy with other ", what, " (", in_use_, " of ", capacity_,
        " in use); retry later"));
  }
  in_use_ += weight;
  return Ticket(this, weight);
}

int64_t WeightedGate::in_use() {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

}  // namespace dns
