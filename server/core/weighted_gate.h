// A weighted semaphore bounding how much of one resource (bytes of large
// requests, RRsets of full zone pushes) is being worked on at once, so that
// dnsd's memory stays within its limit whatever the clients send together.
#ifndef DNS_SERVER_CORE_WEIGHTED_GATE_H_
#define DNS_SERVER_CORE_WEIGHTED_GATE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dns {

class WeightedGate {
 public:
  // What a holder returns when it is destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : gate_(other.gate_), weight_(other.weight_) {
      other.gate_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }

   private:
    friend class WeightedGate;
    Ticket(WeightedGate* gate, int64_t weight) : gate_(gate), weight_(weight) {}
    void Release();

    WeightedGate* gate_ = nullptr;
    int64_t weight_ = 0;
  };

  // `capacity` <= 0: no bound. Work lighter than `free_below` passes
  // without taking part (small requests never wait behind big ones).
  WeightedGate(int64_t capacity, int64_t free_below);

  // Waits until `weight` fits (a weight above the capacity waits for the
  // whole gate: the largest work still runs, alone) or `deadline` passes:
  // RESOURCE_EXHAUSTED then, naming `what`.
  absl::StatusOr<Ticket> Acquire(int64_t weight, absl::Time deadline, const char* what);

  int64_t in_use();

 private:
  const int64_t capacity_;
  const int64_t free_below_;
  absl::Mutex mu_;
  int64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_WEIGHTED_GATE_H_
