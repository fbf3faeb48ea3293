#include "server/failover_service.h"

#include <atomic>
#include <deque>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/status_details.h"
#include "server/call_observer.h"
#include "server/failover_proto.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "server/stream_reactor.h"
#include "server/write_reply.h"

namespace dns {
namespace {

// Without an event (another replica's driver, a lost notification) a
// stream still reads its operation this often.
constexpr absl::Duration kSafetyRead = absl::Seconds(2);

class ExecuteReactor final
    : public QueuedStreamReactor<ExecuteReactor, v1::FailoverProgress> {
 public:
  ExecuteReactor(FailoverManager& manager, EventHub& hub, TimerQueue& timers, RpcRunner& runner,
                 std::string request_id)
      : manager_(manager),
        hub_(hub),
        timers_(timers),
        runner_(runner),
        request_id_(std::move(request_id)) {}

  // On a runner thread: starts (or finds) the operation, then follows it.
  void Begin(ExecuteFailoverInput input) {
    absl::StatusOr<Failover> op = manager_.Execute(input);
    if (!op.ok()) {
      End(op.status());
    } else {
      std::weak_ptr<Link> weak = weak_link();
      EventHub::Subscription sub = hub_.Subscribe(op->id, [weak](const Event& event) {
        if (event.type == EventType::kShutdown) {
          WithReactor(weak, [](ExecuteReactor& r) {
            r.End(WithReason(absl::UnavailableError(
                                 absl::StrCat("dnsd is stopping; failover ", r.id(),
                                              " goes on: call again with the same request_id, "
                                              "or GetFailover")),
                             "SHUTTING_DOWN"));
          });
        } else if (event.type == EventType::kFailoverProgress) {
          WithReactor(weak, [](ExecuteReactor& r) { r.Refresh(); });
        }
      });
      {
        absl::MutexLock lock(&mu_);
        id_ = op->id;
        subscription_ = std::move(sub);
      }
      Log(spdlog::level::info, "failover stream follows",
          {{"request_id", request_id_}, {"failover", op->id}});
      Offer(*op);
      // The driver may have moved on before the subscription.
      Refresh();
      ScheduleSafetyRead();
    }
    Release();
  }

  void OnDone() override {
    Unlink();
    EventHub::Subscription sub;
    {
      absl::MutexLock lock(&mu_);
      sub = std::move(subscription_);
      if (timer_) timers_.Cancel(timer_);
    }
    sub.Cancel();
    Release();
  }

  std::string id() {
    absl::MutexLock lock(&mu_);
    return id_;
  }

 private:
  // Reads the operation again (one read at a time; events meanwhile ask
  // for one more).
  void Refresh() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (reading_) {
        reread_ = true;
        return;
      }
      reading_ = true;
    }
    std::weak_ptr<Link> weak = weak_link();
    absl::Status posted = runner_.Post([weak] {
      WithReactor(weak, [](ExecuteReactor& r) { r.Read(); });
    });
    if (!posted.ok()) {
      absl::MutexLock lock(&mu_);
      reading_ = false;
    }
  }

  void Read() {
    absl::StatusOr<Failover> op = manager_.Get(id(), false);
    if (op.ok()) Offer(*op);
    bool again;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      again = reread_;
      reread_ = false;
    }
    if (again) Refresh();
  }

  void ScheduleSafetyRead() {
    std::weak_ptr<Link> weak = weak_link();
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    timer_ = timers_.Schedule(timers_.clock().Now() + kSafetyRead, [weak] {
      WithReactor(weak, [](ExecuteReactor& r) {
        {
          absl::MutexLock lock(&r.mu_);
          r.timer_ = 0;
        }
        r.Refresh();
        r.ScheduleSafetyRead();
      });
    });
  }

  // Queues the messages that take the client from what it saw to `op`.
  void Offer(const Failover& op) {
    std::optional<absl::Status> end;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || done_ || terminal_) return;
      auto queue = [&](v1::FailoverProgressStage stage) {
        v1::FailoverProgress message;
        message.set_stage(stage);
        FailoverToProto(op, message.mutable_failover());
        // A client that reads slowly gets the latest counts, not every step.
        if (!queue_.empty() && stage == v1::FAILOVER_PROGRESS_STAGE_PROPAGATING &&
            queue_.back().stage() == stage) {
          queue_.back() = std::move(message);
        } else {
          queue_.push_back(std::move(message));
        }
      };
      if (!sent_planned_) {
        sent_planned_ = true;
        queue(v1::FAILOVER_PROGRESS_STAGE_PLANNED);
      }
      const bool committed = op.commit_time != absl::InfinitePast();
      if (committed && !sent_committed_) {
        sent_committed_ = true;
        queue(v1::FAILOVER_PROGRESS_STAGE_COMMITTED);
      }
      if (op.state == FailoverState::kPropagating) {
        std::string key;
        for (const auto& s : op.servers) {
          absl::StrAppend(&key, s.server, ":", static_cast<int>(s.state), ":", s.zones_pushed,
                          ":", s.zones_confirmed, ":", s.zones_failed, ";");
        }
        if (key != last_progress_) {
          last_progress_ = key;
          queue(v1::FAILOVER_PROGRESS_STAGE_PROPAGATING);
        }
      } else if (IsTerminal(op.state)) {
        terminal_ = true;
        if (op.state == FailoverState::kFailed) {
          queue(v1::FAILOVER_PROGRESS_STAGE_FAILED);
          end = WithReason(
              absl::AbortedError(absl::StrCat("failover ", op.id, " failed: ", op.error)),
              "FAILOVER_FAILED");
        } else {
          queue(v1::FAILOVER_PROGRESS_STAGE_DONE);
          end = absl::OkStatus();
        }
      }
    }
    if (end) {
      Done(*end);
    } else {
      Pump();
    }
  }

  FailoverManager& manager_;
  EventHub& hub_;
  TimerQueue& timers_;
  RpcRunner& runner_;
  const std::string request_id_;
  std::string id_ ABSL_GUARDED_BY(mu_);
  EventHub::Subscription subscription_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool reread_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_planned_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_committed_ ABSL_GUARDED_BY(mu_) = false;
  bool terminal_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_progress_ ABSL_GUARDED_BY(mu_);
  TimerQueue::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
};

std::optional<uint32_t> OptionalTtl(bool has, uint32_t ttl) {
  return has ? std::optional<uint32_t>(ttl) : std::nullopt;
}

// An account-scoped caller fails over within its accounts only: by one of
// them, or by zones of them.
absl::Status CheckFailoverScope(ScopeGuard& guard, const Principal& who,
                                const v1::FailoverScope& scope) {
  if (!who.Scoped()) return absl::OkStatus();
  const bool others =
      scope.all_zones() || !scope.customer_id().empty() || !scope.hosting_service_id().empty();
  if (!others && scope.zones_size() == 0 && !scope.account().empty()) {
    return ScopeGuard::CheckAccount(who, scope.account(), "scope.account");
  }
  if (!others && scope.account().empty() && scope.zones_size() > 0) {
    return guard.CheckZones(who, {scope.zones().begin(), scope.zones().end()});
  }
  return WithReason(absl::PermissionDeniedError(absl::StrCat(
                        "scope: token ", who.name,
                        " is limited to accounts; give scope.account or scope.zones within them")),
                    "ACCOUNT_OUT_OF_SCOPE");
}

}  // namespace

grpc::ServerUnaryReactor* FailoverServiceImpl::PlanFailover(grpc::CallbackServerContext* context,
                                                            const v1::PlanFailoverRequest* request,
                                                            v1::FailoverPlan* response) {
  return runner_.Serve(context, "PlanFailover", [this, request, response](const CallInfo& call,
                                                                          Reply reply) {
    if (absl::Status out = CheckFailoverScope(scope_, call.principal, request->scope()); !out.ok()) {
      return reply(out);
    }
    FailoverSpec raw = FailoverSpecFromProto(request->scope(), request->from_ip(), request->to_ip(),
                                             request->apex_and_www_only(),
                                             OptionalTtl(request->has_ttl(), request->ttl()));
    FailoverSpec spec;
    absl::StatusOr<FailoverPlan> plan = failovers_.Plan(raw, &spec);
    if (!plan.ok()) return reply(plan.status());
    FailoverPlanToProto(*plan, spec, response);
    reply(absl::OkStatus());
  });
}

grpc::ServerWriteReactor<v1::FailoverProgress>* FailoverServiceImpl::ExecuteFailover(
    grpc::CallbackServerContext* context, const v1::ExecuteFailoverRequest* request) {
  absl::StatusOr<Principal> who = runner_.Authorize(*context, "ExecuteFailover");
  if (!who.ok()) return new RefusedStream<v1::FailoverProgress>(who.status());
  auto* reactor = new ExecuteReactor(failovers_, hub_, timers_, runner_, RequestIdOf(*context));
  absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
  if (!key.ok()) {
    reactor->End(key.status());
    reactor->Release();
    return reactor;
  }
  ExecuteFailoverInput input;
  input.spec = FailoverSpecFromProto(request->scope(), request->from_ip(), request->to_ip(),
                                     request->apex_and_www_only(),
                                     OptionalTtl(request->has_ttl(), request->ttl()));
  input.plan_checksum = request->plan_checksum();
  input.force = request->force();
  input.key = *key;
  // The caller's identity; its request id when authentication is off.
  input.requested_by = who->name == "anonymous" ? RequestIdOf(*context) : who->name;
  absl::Status posted =
      runner_.Post([this, reactor, input, who = *who, scope = request->scope()]() mutable {
        if (absl::Status out = CheckFailoverScope(scope_, who, scope); !out.ok()) {
          reactor->End(out);
          reactor->Release();
          return;
        }
        reactor->Begin(std::move(input));
      });
  if (!posted.ok()) {
    reactor->End(absl::UnavailableError(
        absl::StrCat("the service is overloaded or stopping (", posted.message(), ")")));
    reactor->Release();
  }
  return reactor;
}

grpc::ServerUnaryReactor* FailoverServiceImpl::GetFailover(grpc::CallbackServerContext* context,
                                                           const v1::GetFailoverRequest* request,
                                                           v1::Failover* response) {
  return runner_.Serve(context, "GetFailover", [this, request, response](const CallInfo&,
                                                                         Reply reply) {
    absl::StatusOr<Failover> op = failovers_.Get(request->id(), true);
    if (op.ok()) FailoverToProto(*op, response);
    reply(op.status());
  });
}

grpc::ServerUnaryReactor* FailoverServiceImpl::ListFailovers(
    grpc::CallbackServerContext* context, const v1::ListFailoversRequest* request,
    v1::ListFailoversResponse* response) {
  return runner_.Serve(context, "ListFailovers", [this, request, response](const CallInfo&,
                                                                           Reply reply) {
    FailoverListFilter filter;
    filter.ip = request->ip();
    if (request->state() != v1::FAILOVER_STATE_UNSPECIFIED) {
      filter.state = FailoverStateFromProto(request->state());
      if (!filter.state) return reply(InvalidField("state", "is not a failover state"));
    }
    absl::StatusOr<FailoverPage> page =
        failovers_.List(filter, request->page_size(), request->page_token());
    if (!page.ok()) return reply(page.status());
    for (const Failover& op : page->items) FailoverToProto(op, response->add_failovers());
    response->set_next_page_token(page->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* FailoverServiceImpl::ProvisionDomain(
    grpc::CallbackServerContext* context, const v1::ProvisionDomainRequest* request,
    v1::Zone* response) {
  return runner_.Serve(context, "ProvisionDomain", [this, request, response](const CallInfo& call,
                                                                             Reply reply) {
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    if (absl::Status out = ScopeGuard::CheckAccount(call.principal, request->account(), "account");
        !out.ok()) {
      return reply(out);
    }
    ProvisionRequest in;
    in.zone.name = request->domain();
    in.zone.account = request->account();
    in.zone.customer_id = request->customer_id();
    in.zone.hosting_service_id = request->hosting_service_id();
    in.zone.nameservers.assign(request->nameservers().begin(), request->nameservers().end());
    in.zone.labels.insert(request->labels().begin(), request->labels().end());
    in.ip = request->ip();
    in.ipv6 = request->ipv6();
    in.ttl = OptionalTtl(request->has_ttl(), request->ttl());
    std::vector<FieldViolation> violations;
    for (int i = 0; i < request->rrsets_size(); ++i) {
      in.rrsets.push_back(
          ReplaceFromProto(request->rrsets(i), absl::StrCat("rrsets[", i, "]"), violations));
    }
    if (!violations.empty()) return reply(InvalidFields(violations));
    const absl::Time since = absl::Now();
    absl::StatusOr<Zone> zone = zones_.ProvisionDomain(std::move(in), *key, *w);
    if (!zone.ok()) return reply(zone.status());
    ZoneToProto(*zone, response);
    if (w->validate_only) return reply(absl::OkStatus());
    ReplyAfterPropagation(
        zones_.propagation(), *w, zone->name, zone->serial, false, since,
        [response](const auto& states) { FillZonePropagation(response, states); }, reply);
  });
}

}  // namespace dns
