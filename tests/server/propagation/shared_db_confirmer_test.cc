#include "server/propagation/shared_db_confirmer.h"

#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_dns_prober.h"
#include "tests/testing/fake_pdns_client.h"

namespace dns {
namespace {

class ConfirmerTest : public ::testing::Test {
 protected:
  ConfirmerTest() {
    server_.name = "shared-1";
    server_.dns_address = "192.0.2.53:5300";
    server_.mode = ServerMode::kSharedDb;
  }
  PropagationTask Task(uint32_t serial) {
    return PropagationTask{"a.test.", "shared-1", serial, 0, false, false, 0, 1, ""};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeDnsProber prober_;
  SharedDbConfirmer confirmer_{prober_, clock_, ConfirmOptions{absl::Seconds(3), absl::Seconds(1)}};
  pdns::FakePdnsClient client_{"shared-1"};
  Server server_;
  pdns::CallContext ctx_;
};

TEST_F(ConfirmerTest, FlushesThenConfirmsTheSerialOverDns) {
  prober_.SetSoaSerial("192.0.2.53", 5300, "a.test.", 20);
  EXPECT_TRUE(confirmer_.Confirm(server_, client_, Task(20), ctx_).ok());
  EXPECT_EQ(client_.CallsOf("FlushCache").size(), 1u);
  // A later serial counts too (RFC 1982).
  EXPECT_TRUE(confirmer_.Confirm(server_, client_, Task(19), ctx_).ok());
}

TEST_F(ConfirmerTest, AServerStillOnTheOldSerialFailsAfterTheConfirmTimeout) {
  prober_.SetSoaSerial("192.0.2.53", 5300, "a.test.", 19);
  absl::Status st = confirmer_.Confirm(server_, client_, Task(20), ctx_);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("answers serial 19, want 20"), absl::string_view::npos);
  // The fake clock stood in for the waiting: about the confirm timeout.
  EXPECT_GE(clock_->total_slept(), absl::Seconds(3) - absl::Milliseconds(100));
  EXPECT_LT(clock_->total_slept(), absl::Seconds(4));
  // It flushed again now and then (a replica may have caught up).
  EXPECT_GT(client_.CallsOf("FlushCache").size(), 1u);
}

TEST_F(ConfirmerTest, ADeletedZoneNeedsOnlyTheFlush) {
  PropagationTask task = Task(0);
  task.zone_deleted = true;
  EXPECT_TRUE(confirmer_.Confirm(server_, client_, task, ctx_).ok());
  EXPECT_EQ(prober_.query_count(), 0);
}

TEST_F(ConfirmerTest, AFailedFlushIsTheAnswer) {
  client_.FailNext("FlushCache", absl::UnauthenticatedError("401"));
  EXPECT_EQ(confirmer_.Confirm(server_, client_, Task(20), ctx_).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace dns
