// ZoneManager's own logic (SOA/NS construction, import, validation before
// storage) over a recording fake of ZoneStore.
#include "server/zone_manager.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/status_details.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records what reaches storage; answers with what it was given.
class RecordingZoneStore : public ZoneStore {
 public:
  absl::Status Ping(absl::Time) override { return absl::OkStatus(); }
  absl::StatusOr<Zone> CreateZone(const NewZone& zone, const RequestKey&) override {
    created.push_back(zone);
    return zone.zone;
  }
  absl::StatusOr<Zone> GetZone(const std::string& name) override {
    if (name != existing.name) return absl::NotFoundError(name);
    return existing;
  }
  absl::StatusOr<Page<Zone>> ListZones(const ZoneFilter& filter, const std::string& after,
                                       int limit) override {
    last_filter = filter;
    last_after = after;
    Page<Zone> page;
    for (int i = 0; i < limit; ++i) {
      Zone z;
      z.name = absl::StrCat("z", i, ".");
      page.items.push_back(z);
    }
    page.more = true;
    return page;
  }
  absl::StatusOr<Zone> UpdateZone(const std::string&, const ZoneUpdate& update,
                                  const Expectations&, const RequestKey&) override {
    updates.push_back(update);
    return existing;
  }
  absl::Status DeleteZone(const std::string&, const Expectations&, const RequestKey&) override {
    return absl::NotFoundError("gone");
  }
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string&) override { return rrsets; }
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(
      const std::string& name) override {
    if (name != existing.name) return absl::NotFoundError(name);
    return std::make_pair(existing, rrsets);
  }
  absl::StatusOr<Page<RRset>> ListRRsets(const std::string&, const RRsetFilter&,
                                         const std::string&, const std::string&, int) override {
    return Page<RRset>{};
  }
  absl::StatusOr<RRset> GetRRset(const std::string&, const std::string&,
                                 const std::string&) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<std::vector<RRset>> GetRRsets(
      const std::string&, const std::vector<std::pair<std::string, std::string>>&) override {
    return rrsets;
  }
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string& zone,
                                            const std::vector<RRsetChange>& changes,
                                            const Expectations&, const RequestKey&,
                                            bool validate_only) override {
    if (!validate_only) changed.push_back(changes);
    ChangeResult result;
    result.serial = 7;
    result.etag = "v7";
    return result;
  }

  Zone existing;
  std::vector<RRset> rrsets;
  std::vector<NewZone> created;
  std::vector<ZoneUpdate> updates;
  std::vector<std::vector<RRsetChange>> changed;
  ZoneFilter last_filter;
  std::string last_after;
};

ZoneDefaults Defaults() {
  ZoneDefaults d;
  d.nameservers = {"ns1.example.net.", "ns2.example.net."};
  d.hostmaster = "dns-admin@example.net";
  return d;
}

TEST(ZoneManagerTest, CreateZoneBuildsSoaAndNs) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  Zone zone;
  zone.name = "Shop.Example.COM";
  ASSERT_TRUE(manager.CreateZone(zone, {}).ok());
  ASSERT_EQ(store.created.size(), 1u);
  const NewZone& nz = store.created[0];
  EXPECT_EQ(nz.zone.name, "shop.example.com.");
  ASSERT_EQ(nz.rrsets.size(), 2u);
  EXPECT_EQ(nz.rrsets[0].type, "SOA");
  EXPECT_EQ(nz.rrsets[0].records[0].content,
            absl::StrCat("ns1.example.net. dns-admin.example.net. ", nz.zone.serial,
                         " 10800 3600 604800 3600"));
  EXPECT_EQ(nz.rrsets[1].type, "NS");
  EXPECT_EQ(nz.rrsets[1].records.size(), 2u);
}

TEST(ZoneManagerTest, InvalidInputNeverReachesStorage) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  Zone zone;
  zone.name = "ok.example";
  zone.account = std::string(300, 'a');
  zone.labels["Bad Key"] = "x";
  absl::StatusOr<Zone> result = manager.CreateZone(zone, {});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : ViolationsOf(result.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("zone.account", "zone.labels[Bad Key]"));
  EXPECT_TRUE(store.created.empty());

  std::vector<RRsetChange> changes = {{ChangeType::kReplace, {"www", "A", 300, {{"1.2.3", false}}}}};
  EXPECT_EQ(manager.ChangeRRsets("ok.example", changes, {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store.changed.empty());
}

TEST(ZoneManagerTest, ChangesReachStorageCanonical) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  std::vector<RRsetChange> changes = {
      {ChangeType::kReplace, {"WWW", "a", 0, {{"192.0.2.1", false}}}, /*default_ttl=*/true},
      {ChangeType::kReplace, {"@", "mx", 300, {{"10 Mail.Example.org", false}}}}};
  ASSERT_TRUE(manager.ChangeRRsets("example.org", changes, {}, {}).ok());
  ASSERT_EQ(store.changed.size(), 1u);
  EXPECT_EQ(store.changed[0][0].rrset.name, "www.example.org.");
  EXPECT_EQ(store.changed[0][0].rrset.type, "A");
  EXPECT_EQ(store.changed[0][0].rrset.ttl, 3600u);  // none given: the default
  EXPECT_EQ(store.changed[0][1].rrset.records[0].content, "10 mail.example.org.");
}

TEST(ZoneManagerTest, ImportKeepsAFileSerialAheadOfTheDate) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  Zone zone;
  zone.name = "imported.test";
  ASSERT_TRUE(manager
                  .ImportZone(zone,
                              "@ 3600 IN SOA a.ns.test. h.test. 4000000000 1 2 3 4\n"
                              "@ 3600 IN NS a.ns.test.\nwww 60 IN A 192.0.2.1\n",
                              {})
                  .ok());
  ASSERT_EQ(store.created.size(), 1u);
  EXPECT_EQ(store.created[0].zone.serial, 4000000000u);
  EXPECT_THAT(store.created[0].zone.nameservers, ElementsAre("a.ns.test."));
  EXPECT_EQ(store.created[0].rrsets[0].type, "SOA");
  EXPECT_THAT(store.created[0].rrsets[0].records[0].content, HasSubstr(" 4000000000 "));

  // The file's serial goes to the store as the floor (the store's serial
  // rule keeps it only when it is ahead of the date: serial_pgtest); no SOA
  // means a default one.
  zone.name = "old.test";
  ASSERT_TRUE(manager.ImportZone(zone, "@ IN SOA a.ns.test. h.test. 5 1 2 3 4\n", {}).ok());
  EXPECT_EQ(store.created[1].zone.serial, 5u);
  zone.name = "nosoa.test";
  ASSERT_TRUE(manager.ImportZone(zone, "www 60 IN A 192.0.2.1\n", {}).ok());
  EXPECT_EQ(store.created[2].rrsets[0].type, "SOA");
  EXPECT_THAT(store.created[2].zone.nameservers, ElementsAre("ns1.example.net.", "ns2.example.net."));
}

TEST(ZoneManagerTest, ListZonesPassesKeysetPositionThroughTheToken) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  ListZonesQuery query;
  query.filter.name_prefix = "SHOP";
  query.page_size = 5000;  // coerced to the maximum
  auto first = manager.ListZones(query);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 1000u);
  EXPECT_EQ(store.last_filter.name_prefix, "shop");
  ASSERT_FALSE(first->next_page_token.empty());
  query.page_token = first->next_page_token;
  ASSERT_TRUE(manager.ListZones(query).ok());
  EXPECT_EQ(store.last_after, "z999.");
  query.filter.account = "other";
  EXPECT_EQ(manager.ListZones(query).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ZoneManagerTest, UpdateZoneChecksTheMask) {
  RecordingZoneStore store;
  store.existing.name = "u.test.";
  ZoneManager manager(store, Defaults());
  ZonePatch patch;
  patch.zone.name = "u.test";
  EXPECT_EQ(manager.UpdateZone(patch, {}).status().code(), absl::StatusCode::kInvalidArgument);
  patch.paths = {"serial"};
  EXPECT_EQ(manager.UpdateZone(patch, {}).status().code(), absl::StatusCode::kInvalidArgument);
  patch.paths = {"kind"};
  patch.zone.kind = ZoneKind::kSlave;  // stored zone has no masters
  EXPECT_EQ(manager.UpdateZone(patch, {}).status().code(), absl::StatusCode::kInvalidArgument);
  patch.paths = {"account", "nameservers"};
  patch.zone.account = "acme";
  patch.zone.nameservers = {"NS.Other.test"};
  ASSERT_TRUE(manager.UpdateZone(patch, {}).ok());
  ASSERT_EQ(store.updates.size(), 1u);
  EXPECT_EQ(*store.updates[0].account, "acme");
  EXPECT_THAT(*store.updates[0].nameservers, ElementsAre("ns.other.test."));
  EXPECT_FALSE(store.updates[0].kind.has_value());
}

// Records what the domain layer asks of propagation.
class FakePropagation : public PropagationControl {
 public:
  void Kick(const std::string& zone, const std::string& request_id, bool caller_waits) override {
    kicks.push_back(zone + "/" + request_id + (caller_waits ? "/waits" : ""));
  }
  void KickAll() override { kicks.push_back("*"); }
  void WaitAsync(const std::string& zone, uint32_t serial, bool deleted, absl::Time,
                 absl::Time, WaitDone done) override {
    waits.push_back({zone, serial, deleted});
    ServerPropagation p;
    p.server = "ns-a";
    p.state = PropagationState::kInSync;
    p.desired_serial = p.applied_serial = serial;
    done({p});
  }
  absl::StatusOr<std::vector<ServerPropagation>> State(const std::string&) override {
    ++state_reads;
    ServerPropagation p;
    p.server = "ns-a";
    return std::vector<ServerPropagation>{p};
  }
  absl::StatusOr<uint32_t> RequestSync(const std::string&,
                                       const std::vector<std::string>& servers) override {
    sync_requests.push_back(servers);
    return 9;
  }
  absl::StatusOr<std::vector<RRset>> FetchZone(const std::string& server, const std::string&,
                                               const std::string&, absl::Time) override {
    fetched_from.push_back(server);
    return fetched;
  }

  struct WaitCall {
    std::string zone;
    uint32_t serial;
    bool deleted;
  };
  std::vector<std::string> kicks;
  std::vector<WaitCall> waits;
  std::vector<std::vector<std::string>> sync_requests;
  std::vector<std::string> fetched_from;
  int state_reads = 0;
  std::vector<RRset> fetched;
};

TEST(ZoneManagerTest, WritesKickPropagationAndReadStatesOnlyWhenNotWaiting) {
  RecordingZoneStore store;
  FakePropagation fleet;
  ZoneManager manager(store, Defaults(), &fleet);
  std::vector<RRsetChange> changes = {{ChangeType::kReplace, {"www", "A", 300, {{"192.0.2.1", false}}}}};

  auto at_commit = manager.ChangeRRsets("p.test", changes, {}, {}, WriteOptions{"rid-1"});
  ASSERT_TRUE(at_commit.ok());
  EXPECT_THAT(fleet.kicks, ElementsAre("p.test./rid-1"));
  EXPECT_EQ(at_commit->zone, "p.test.");
  ASSERT_EQ(at_commit->propagation.size(), 1u);
  EXPECT_EQ(at_commit->propagation[0].state, PropagationState::kPending);
  EXPECT_EQ(fleet.state_reads, 1);

  // A caller that waits gets the states from the wait (at the edge, without
  // a thread): the write itself reads none.
  WriteOptions wait{"rid-2", absl::Seconds(5)};
  auto waited = manager.ChangeRRsets("p.test", changes, {}, {}, wait);
  ASSERT_TRUE(waited.ok());
  EXPECT_EQ(waited->serial, 7u);  // the store's new serial
  EXPECT_TRUE(waited->propagation.empty());
  EXPECT_EQ(fleet.state_reads, 1);
  EXPECT_TRUE(fleet.waits.empty());

  // A rejected write is not kicked.
  std::vector<RRsetChange> bad = {{ChangeType::kReplace, {"www", "A", 300, {{"nope", false}}}}};
  EXPECT_FALSE(manager.ChangeRRsets("p.test", bad, {}, {}, wait).ok());
  EXPECT_EQ(fleet.kicks.size(), 2u);

  // A missing zone deleted with allow_missing: nothing to push.
  absl::StatusOr<std::string> deleted = manager.DeleteZone("p.test", "", true, {}, wait);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, "");
  EXPECT_EQ(fleet.kicks.size(), 2u);
}

TEST(ZoneManagerTest, ImportFromServerValidatesWhatTheServerHas) {
  RecordingZoneStore store;
  FakePropagation fleet;
  ZoneManager manager(store, Defaults(), &fleet);
  fleet.fetched = {RRset{"legacy.test.", "SOA", 3600, {{"a.ns.test. h.test. 77 1 2 3 4", false}}},
                   RRset{"legacy.test.", "NS", 3600, {{"a.ns.test.", false}}},
                   RRset{"www.legacy.test.", "A", 60, {{"192.0.2.1", false}}}};
  Zone zone;
  zone.name = "legacy.test";
  ASSERT_TRUE(manager.ImportZoneFromServer(zone, "api-1", {}, {}).ok());
  ASSERT_EQ(store.created.size(), 1u);
  EXPECT_THAT(store.created[0].zone.nameservers, ElementsAre("a.ns.test."));
  EXPECT_EQ(store.created[0].rrsets.size(), 3u);

  fleet.fetched.push_back(RRset{"bad.legacy.test.", "A", 60, {{"300.1.1.1", false}}});
  zone.name = "legacy2.test";
  auto refused = manager.ImportZoneFromServer(zone, "api-1", {}, {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.created.size(), 1u);
  // Without a fleet there is nothing to import from.
  ZoneManager alone(store, Defaults());
  EXPECT_EQ(alone.ImportZoneFromServer(zone, "api-1", {}, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ZoneManagerTest, ServerNamesAreCheckedBeforeTheFleetIsAsked) {
  RecordingZoneStore store;
  FakePropagation fleet;
  ZoneManager manager(store, Defaults(), &fleet);
  auto sync = manager.SyncZone("s.test", {"api-1", "Not A Name", ""}, {});
  ASSERT_EQ(sync.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> violations = ViolationsOf(sync.status());
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "servers[1]");
  EXPECT_EQ(violations[1].field, "servers[2]");
  EXPECT_TRUE(fleet.sync_requests.empty());
  ASSERT_TRUE(manager.SyncZone("s.test", {"api-1"}, {}).ok());
  EXPECT_THAT(fleet.sync_requests, ElementsAre(ElementsAre("api-1")));

  Zone zone;
  zone.name = "legacy.test";
  auto imported = manager.ImportZoneFromServer(zone, "../api", {}, {});
  ASSERT_EQ(imported.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolationsOf(imported.status())[0].field, "from_server");
  EXPECT_TRUE(fleet.fetched_from.empty());
}

TEST(ZoneManagerTest, HostmasterForms) {
  EXPECT_EQ(*CanonicalHostmaster("", "z.test."), "hostmaster.z.test.");
  EXPECT_EQ(*CanonicalHostmaster("admin@Example.net", "z."), "admin.example.net.");
  EXPECT_EQ(*CanonicalHostmaster("first.last@example.net", "z."), "first\\.last.example.net.");
  EXPECT_EQ(*CanonicalHostmaster("admin.example.net", "z."), "admin.example.net.");
  EXPECT_FALSE(CanonicalHostmaster("a b@example.net", "z.").ok());
}

}  // namespace
}  // namespace dns

namespace dns {
namespace {

TEST(ZoneManagerTest, ImportOverTheRRsetLimitIsInvalidArgumentNamingIt) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  std::string file = "$ORIGIN big.example.\n$TTL 300\n";
  for (int i = 0; i < 100001; ++i) absl::StrAppend(&file, "r", i, " A 192.0.2.1\n");
  Zone zone;
  zone.name = "big.example";
  // Used to escape as std::out_of_range (UNKNOWN at the edge).
  absl::StatusOr<Zone> result = manager.ImportZone(zone, file, {});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  ASSERT_EQ(ViolationsOf(result.status()).size(), 1u);
  EXPECT_EQ(ViolationsOf(result.status())[0].field, "zone_file");
  EXPECT_THAT(result.status().message(), HasSubstr("at most 100000"));
  EXPECT_THAT(result.status().message(), HasSubstr("100002 RRsets"));  // with the NS added
  EXPECT_TRUE(store.created.empty());
}

TEST(ZoneManagerTest, ImportViolationsNameTheRRsetInTheFile) {
  RecordingZoneStore store;
  ZoneManager manager(store, Defaults());
  Zone zone;
  zone.name = "ttl.example";
  absl::StatusOr<Zone> result =
      manager.ImportZone(zone, "$ORIGIN ttl.example.\nshort 5 IN A 192.0.2.1\n", {});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(ViolationsOf(result.status()).size(), 1u);
  EXPECT_EQ(ViolationsOf(result.status())[0].field, "zone_file");
  EXPECT_THAT(ViolationsOf(result.status())[0].description,
              HasSubstr("short.ttl.example. A: ttl must be between"));
}

// 253 octets: the longest zone name there is (as text, without the final dot).
std::string LongZoneName() {
  std::string name;
  while (name.size() < 240) absl::StrAppend(&name, std::string(59, 'a' + name.size() / 60), ".");
  name += std::string(253 - name.size() - 8, 'z');
  return name + ".example";
}

TEST(ZoneManagerTest, ZoneWhoseDerivedNamesCannotBeServedIsRefused) {
  const std::string name = LongZoneName();
  ASSERT_EQ(name.size(), 253u);
  RecordingZoneStore store;
  ZoneDefaults defaults = Defaults();
  defaults.hostmaster = "";  // hostmaster.<zone>: 264 octets
  ZoneManager manager(store, defaults);
  Zone zone;
  zone.name = name;
  absl::StatusOr<Zone> result = manager.CreateZone(zone, {});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  ASSERT_FALSE(ViolationsOf(result.status()).empty());
  EXPECT_EQ(ViolationsOf(result.status())[0].field, "zone.name");
  EXPECT_THAT(ViolationsOf(result.status())[0].description, HasSubstr("SOA"));
  EXPECT_THAT(ViolationsOf(result.status())[0].description, HasSubstr("--soa_hostmaster"));
  EXPECT_TRUE(store.created.empty());

  // The same name with a contact of its own is fine.
  ZoneManager with_contact(store, Defaults());
  EXPECT_TRUE(with_contact.CreateZone(zone, {}).ok());
  ASSERT_EQ(store.created.size(), 1u);

  absl::StatusOr<Zone> imported =
      manager.ImportZone(zone, absl::StrCat("$ORIGIN ", name, ".\n@ NS ns1.example.net.\n"), {});
  ASSERT_EQ(imported.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolationsOf(imported.status())[0].field, "zone.name");
}

}  // namespace
}  // namespace dns
