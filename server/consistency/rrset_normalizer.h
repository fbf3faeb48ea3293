// Compares RRsets as DNS sees them, not as text: two servers (or a server
// and the truth) may spell the same data differently. Normalised are the
// case and trailing dot of names, TXT quoting, escapes and 255-byte
// splitting, record order, whitespace, numbers' leading zeros, address
// spellings (IPv6 compression), hex case, and a SOA's serial (reported as
// a serial finding, not as content). TTL and the disabled flag count.
#ifndef DNS_SERVER_CONSISTENCY_RRSET_NORMALIZER_H_
#define DNS_SERVER_CONSISTENCY_RRSET_NORMALIZER_H_

#include <string>
#include <vector>

#include "common/consistency.h"
#include "common/model.h"

namespace dns {

// The record content in one canonical spelling for its type (unknown types:
// whitespace collapsed only).
std::string NormalizeContent(const std::string& type, const std::string& content);

// Name and type canonical, records normalised, sorted and deduplicated.
RRset NormalizeRRset(const RRset& rrset);

// Same name, type, TTL and records (content and disabled flag) once
// normalised.
bool EquivalentRRsets(const RRset& a, const RRset& b);

struct RRsetDifference {
  FindingKind kind = FindingKind::kRRsetDifferent;  // MISSING, EXTRA or DIFFERENT
  RRset truth;   // name and type only when the truth lacks it
  RRset server;  // name and type only when the server lacks it
  std::string detail;
};

// Every RRset that differs between the truth's and a server's copy of one
// zone, in (name, type) order.
std::vector<RRsetDifference> DiffRRsets(const std::vector<RRset>& truth,
                                        const std::vector<RRset>& server);

}  // namespace dns

#endif  // DNS_SERVER_CONSISTENCY_RRSET_NORMALIZER_H_
