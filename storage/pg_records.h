// How DNS records sit in PowerDNS's gpgsql `records` table, for the stores
// that read or write them: bare names, MX/SRV priority in its own column.
#ifndef DNS_STORAGE_PG_RECORDS_H_
#define DNS_STORAGE_PG_RECORDS_H_

#include <pqxx/pqxx>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/model.h"

namespace dns {

// PowerDNS stores names without the trailing dot; the API shows them with it.
std::string Bare(absl::string_view name);
std::string Absolute(absl::string_view name);

bool HasPriority(absl::string_view type);
// gpgsql keeps MX/SRV priority in its own column; the API has it in content.
std::pair<int, std::string> SplitPriority(absl::string_view type, absl::string_view content);
std::string JoinPriority(absl::string_view type, int prio, absl::string_view content);

// The rows of `rrsets` in gpgsql form, as the JSON text jsonb_to_recordset
// reads: [{"n","t","c","ttl","p","d"}, ...]. Written directly: a zone of
// 100,000 RRsets as a DOM cost about 70 MB.
std::string RecordRows(const std::vector<RRset>& rrsets);

// Columns (name, type, content, ttl, prio, disabled) from `first` on; rows
// ordered by (name, type), consecutive rows form one RRset.
std::vector<RRset> RRsetsFromRows(const pqxx::result& rows, size_t first = 0);
// The same over rows [begin, end), the columns starting at `column`.
std::vector<RRset> RRsetsFromRows(const pqxx::result& rows, size_t begin, size_t end,
                                  int column);

}  // namespace dns

#endif  // DNS_STORAGE_PG_RECORDS_H_
