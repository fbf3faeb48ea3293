// Runs one request against many PowerDNS servers at once. Every call is
// started before any is waited for, so the wall time is the slowest server's,
// not the sum.
//
//   std::vector<ServerOutcome<absl::Status>> outcomes = FanOut(
//       clients, [&](PdnsClient& c) { return c.AsyncFlushCache(ctx, zone); },
//       ctx.deadline);
#ifndef DNS_CLIENT_FAN_OUT_H_
#define DNS_CLIENT_FAN_OUT_H_

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/pdns_client.h"

namespace dns::pdns {

// R is absl::Status or absl::StatusOr<T>.
template <typename R>
struct ServerOutcome {
  std::string server;
  R result;
};

namespace fan_out_internal {
template <typename F>
struct FutureValue;
template <typename T>
struct FutureValue<std::future<T>> {
  using type = T;
};
}  // namespace fan_out_internal

// Calls `call(client)` for every client (each returns std::future<R>) and
// collects one outcome per client, in the order of `clients`. A server that
// has not answered by `deadline` gets DEADLINE_EXCEEDED; its call keeps
// running in the background and its result is dropped. Null clients get
// INVALID_ARGUMENT.
template <typename Call>
auto FanOut(absl::Span<const std::shared_ptr<PdnsClient>> clients, Call&& call,
            absl::Time deadline = absl::InfiniteFuture()) {
  using Future = std::invoke_result_t<Call&, PdnsClient&>;
  using R = typename fan_out_internal::FutureValue<Future>::type;

  std::vector<Future> futures;
  futures.reserve(clients.size());
  for (const std::shared_ptr<PdnsClient>& client : clients) {
    if (client == nullptr) {
      std::promise<R> missing;
      missing.set_value(R(absl::InvalidArgumentError("no client for server")));
      futures.push_back(missing.get_future());
    } else {
      futures.push_back(call(*client));
    }
  }

  std::vector<ServerOutcome<R>> outcomes;
  outcomes.reserve(clients.size());
  for (size_t i = 0; i < futures.size(); ++i) {
    std::string server = clients[i] ? clients[i]->server_name() : "";
    if (deadline != absl::InfiniteFuture() &&
        futures[i].wait_until(absl::ToChronoTime(deadline)) !=
            std::future_status::ready) {
      outcomes.push_back(ServerOutcome<R>{
          server, R(absl::DeadlineExceededError(absl::StrCat(
                      "pdns server ", server,
                      ": no answer before the deadline")))});
      continue;
    }
    outcomes.push_back(ServerOutcome<R>{std::move(server), futures[i].get()});
  }
  return outcomes;
}

// How many outcomes are OK.
template <typename R>
size_t CountOk(const std::vector<ServerOutcome<R>>& outcomes) {
  size_t n = 0;
  for (const ServerOutcome<R>& o : outcomes) {
    if (o.result.ok()) ++n;
  }
  return n;
}

}  // namespace dns::pdns

#endif  // DNS_CLIENT_FAN_OUT_H_
