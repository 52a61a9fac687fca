// aws/query_params.h
//
// QueryParams: the parameters of one AWS Query-protocol request (EC2, Auto Scaling, CloudWatch),
// an ordered list of (name, value) pairs. Typed adders format values the way the services expect,
// helpers build the list and map names, and EncodeForm() produces the form-encoded POST body
// `Action=<action>&Version=<version>&<name>=<value>&...`: parameters in insertion order, encoded
// the way AWS's SDKs encode a Query body (FormEncode below).
//
// Naming conventions (positions are 1-based, as on the wire):
//   EC2 lists, flattened Query lists  Name.1, Name.2
//                                     LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version
//   Query lists (Auto Scaling, CW)    Name.member.1
//                                     MetricData.member.1.Dimensions.member.1.Name
//   Query maps                        Name.entry.1.key, Name.entry.1.value
//
// Thread-safety: a value type; const methods may run concurrently, mutation needs exclusive access.
//
// Example:
//   QueryParams params;
//   params.AddString("ImageId", "ami-12345678").AddInt("MinCount", 1).AddInt("MaxCount", 2);
//   params.AddFlatList("SecurityGroupId", group_ids);           // SecurityGroupId.1=sg-1&...
//   params.AddString(QueryParams::FlatKey("TagSpecification", 1) + ".ResourceType", "instance");
//   std::string body = params.EncodeForm("RunInstances", "2016-11-15");
#pragma once

#include <charconv>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ohfp/resilience/clock.h"

namespace ohfp::aws {

// RFC 3986 percent-encoding as SigV4 wants it in canonical URIs and query strings: every byte
// except the unreserved characters A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex digits. A
// space is %20 (never '+'), '=' '&' ':' '/' are escaped, and UTF-8 text is encoded byte by byte
// ("é" -> "%C3%A9").
std::string PercentEncode(std::string_view text);

// application/x-www-form-urlencoded as AWS's SDKs write a Query request body: PercentEncode, except
// that a space is '+'. botocore builds the body with Python's urlencode (quote_plus, nothing
// "safe": exactly the unreserved characters stay), the Go SDK with url.QueryEscape; both write a
// space as '+'. AWS verifies a signature against the bytes it receives, so %20 would do there, but
// an emulator that checks signatures (moto) re-creates the body the way botocore writes it and
// signs that: a body with %20 then fails with AuthFailure / SignatureDoesNotMatch. A '+' in the
// data is "%2B".
std::string FormEncode(std::string_view text);

// The integer types AddInt takes: bool and char are left out, so that AddInt("DryRun", true) and
// AddInt("Letter", 'a') do not compile.
template <class T>
concept QueryInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>;

class QueryParams {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Scalars. Names must be non-empty and must not repeat (asserted in debug builds).
  QueryParams& AddString(std::string_view name, std::string_view value);
  // Any integer type except bool and char, in decimal: "10", "-3".
  template <QueryInteger T>
  QueryParams& AddInt(std::string_view name, T value) {
    char buffer[24];  // enough for any 64-bit integer and its sign
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return AddString(name, std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
  }
  // "true" or "false".
  QueryParams& AddBool(std::string_view name, bool value);
  // The shortest text that reads back as the same double ("10.8", "0.1", "1e+20"); "NaN",
  // "Infinity", "-Infinity".
  QueryParams& AddDouble(std::string_view name, double value);
  // ISO 8601 in UTC: "2015-01-25T08:00:00Z"; with milliseconds when the time has any
  // ("2015-01-25T08:00:00.250Z"). Precision below a millisecond is truncated.
  QueryParams& AddTimestamp(std::string_view name, resilience::SysTime time);

  // Lists and maps of strings. An empty list or map adds nothing: a C++ container cannot say
  // "unset" apart from "set but empty", and sending `Name=` where the caller meant "unset" can fail
  // validation. Use AddEmptyList for the rare call that must send an explicitly empty Query list.
  // Lists of structures: build the names with the *Key helpers below.
  //   AddFlatList    Name.1=a&Name.2=b                        (EC2 lists, flattened Query lists)
  //   AddMemberList  Name.member.1=a&Name.member.2=b          (Query lists)
  //   AddEntryMap    Name.entry.1.key=k&Name.entry.1.value=v  (Query maps)
  QueryParams& AddFlatList(std::string_view name, std::span<const std::string> values);
  QueryParams& AddMemberList(std::string_view name, std::span<const std::string> values);
  QueryParams& AddEntryMap(std::string_view name, std::span<const Entry> entries);
  // `Name=`: how the Query protocol sends an explicitly empty list (EC2 has no way to say this).
  QueryParams& AddEmptyList(std::string_view name);

  // Name builders for lists of structures; `position` is 1-based.
  //   FlatKey("Name", 3)    "Name.3"
  //   MemberKey("Name", 3)  "Name.member.3"
  //   EntryKey("Name", 3)   "Name.entry.3"  (append ".key" and ".value")
  static std::string FlatKey(std::string_view name, std::size_t position);
  static std::string MemberKey(std::string_view name, std::size_t position);
  static std::string EntryKey(std::string_view name, std::size_t position);

  // The request body: "Action=<action>&Version=<version>" then every parameter in insertion order,
  // names and values encoded with FormEncode. Send it with the header
  // `Content-Type: application/x-www-form-urlencoded; charset=utf-8`.
  std::string EncodeForm(std::string_view action, std::string_view version) const;

  // The value of parameter `name`, if it was added.
  std::optional<std::string_view> Find(std::string_view name) const;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace ohfp::aws
