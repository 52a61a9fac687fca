// Runs the published AWS protocol test cases (botocore's copy of the Smithy ec2Query and awsQuery
// suites) through QueryParams, the XML helpers and the error mapper.
//
// The files are lists of suites {description, metadata{protocol, apiVersion}, shapes, cases}. Input
// cases give `params` and the expected `serialized.body`; output cases give `response`
// {status_code, headers, body} and either `result` or `errorCode`/`errorMessage`/`error`. ohfp has
// no model-driven code: its typed operations call QueryParams and XmlNode by hand. So the test
// carries two small walkers that do, guided by the case's shapes, what a typed operation does by
// hand, and checks that the pieces they are built from produce the exact bytes and values the other
// SDKs are held to.
//
// Every case either runs or is skipped with a specific reason;
// ProtocolCases.EveryFileIsPresentWithItsCases pins the number of cases per file (so a missing or
// truncated file fails) and the number skipped.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "aws/aws_error.h"
#include "aws/query_params.h"
#include "aws/xml.h"

namespace ohfp::aws {
namespace {

// ordered_json keeps the files' member order, which is the order parameters are serialized in.
using Json = nlohmann::ordered_json;

// The repository's copy of the cases (tests/data/aws-protocol/README.md says where they come from).
constexpr std::string_view kDataDir = OHFP_SOURCE_DIR "/tests/data/aws-protocol";

// What the cases expect an SDK's (mocked) idempotency-token generator to produce.
constexpr std::string_view kFixedIdempotencyToken = "00000000-0000-4000-8000-000000000000";

enum class Protocol { kEc2, kQuery };

struct ProtocolCase {
  std::string file;
  std::shared_ptr<const Json> suite;  // metadata and shapes
  Json test;                          // the case itself
  std::string name;                   // gtest-safe, unique within the file
};

void PrintTo(const ProtocolCase& c, std::ostream* os) {
  *os << c.file << ": " << c.test.value("id", std::string("?"));
}

struct LoadedFile {
  std::vector<ProtocolCase> cases;
  std::string error;  // why the file could not be read, if it could not
};

LoadedFile LoadFile(const std::string& file) {
  LoadedFile loaded;
  const std::string path = std::string(kDataDir) + "/" + file;
  std::ifstream in(path);
  if (!in) {
    loaded.error = "cannot open " + path;
    return loaded;
  }
  Json suites;
  try {
    suites = Json::parse(in);
  } catch (const Json::exception& e) {
    loaded.error = path + ": " + e.what();
    return loaded;
  }
  std::map<std::string, int> seen_names;
  for (const Json& suite : suites) {
    auto shared = std::make_shared<Json>(
        Json{{"metadata", suite.at("metadata")}, {"shapes", suite.at("shapes")}});
    for (const Json& test : suite.at("cases")) {
      std::string name = test.value("id", std::string("case"));
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      if (int count = seen_names[name]++; count > 0) name += "_" + std::to_string(count + 1);
      loaded.cases.push_back(ProtocolCase{file, shared, test, name});
    }
  }
  return loaded;
}

const std::map<std::string, LoadedFile>& AllFiles() {
  // Read once, never modified afterwards.
  static const std::map<std::string, LoadedFile> kFiles = [] {
    std::map<std::string, LoadedFile> files;
    for (const char* file :
         {"input-ec2.json", "input-query.json", "output-ec2.json", "output-query.json"}) {
      files.emplace(file, LoadFile(file));
    }
    return files;
  }();
  return kFiles;
}

std::vector<ProtocolCase> CasesOf(const std::string& file) { return AllFiles().at(file).cases; }

std::string CaseName(const ::testing::TestParamInfo<ProtocolCase>& info) { return info.param.name; }

Protocol ProtocolOf(const ProtocolCase& c) {
  return c.suite->at("metadata").at("protocol") == "ec2" ? Protocol::kEc2 : Protocol::kQuery;
}

// Why a case is skipped; nullopt when it runs.
std::optional<std::string> SkipReason(const ProtocolCase& c) {
  const Json& given = c.test.at("given");
  if (c.test.contains("serialized") && !c.test.at("serialized").contains("body")) {
    if (given.contains("requestcompression")) {
      return "request compression (the requestcompression trait, gzip Content-Encoding) is not "
             "used by ohfp, and "
             "the case checks only that header, with no body to compare";
    }
    return "the case has no serialized body to compare";
  }
  return std::nullopt;
}

// --- Base64, which the protocol uses for blob members

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64[(n >> shift) & 0x3F]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(kBase64[(n >> 18) & 0x3F]);
    out.push_back(kBase64[(n >> 12) & 0x3F]);
    out.push_back(rest == 2 ? kBase64[(n >> 6) & 0x3F] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const std::size_t value = kBase64.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// --- Request side: params -> QueryParams, as a typed operation would call it

class InputWalker {
 public:
  InputWalker(const Json& shapes, Protocol protocol, QueryParams& params)
      : shapes_(shapes), protocol_(protocol), params_(params) {}

  void Structure(const Json& shape, const Json& value, const std::string& prefix) {
    for (const auto& [member_name, member] : shape.at("members").items()) {
      Json member_value;
      if (value.contains(member_name)) {
        member_value = value.at(member_name);
      } else if (member.value("idempotencyToken", false)) {
        member_value = std::string(
            kFixedIdempotencyToken);  // an SDK fills an unset token; the cases fix its value
      } else {
        continue;
      }
      const std::string key = SerializedName(member_name, member);
      Value(member, member_value, prefix.empty() ? key : prefix + "." + key);
    }
  }

  const std::string& error() const { return error_; }

 private:
  // EC2: queryName, else locationName, else the member name, with the first letter upper-cased.
  // Query: locationName, else the member name.
  std::string SerializedName(const std::string& member_name, const Json& member) const {
    if (protocol_ == Protocol::kEc2) {
      std::string name = member.value("queryName", member.value("locationName", member_name));
      if (!name.empty())
        name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
      return name;
    }
    return member.value("locationName", member_name);
  }

  const Json& Target(const Json& ref) const {
    return shapes_.at(ref.at("shape").get<std::string>());
  }

  static bool Flattened(const Json& ref, const Json& shape) {
    return ref.value("flattened", false) || shape.value("flattened", false);
  }

  static bool IsPlainString(const Json& shape) { return shape.at("type") == "string"; }

  void Value(const Json& ref, const Json& value, const std::string& name) {
    const Json& shape = Target(ref);
    const std::string type = shape.at("type");
    if (type == "structure") {
      Structure(shape, value, name);
    } else if (type == "list") {
      List(ref, shape, value, name);
    } else if (type == "map") {
      Map(ref, shape, value, name);
    } else if (type == "string") {
      params_.AddString(name, value.get<std::string>());
    } else if (type == "boolean") {
      params_.AddBool(name, value.get<bool>());
    } else if (type == "integer" || type == "long" || type == "short" || type == "byte") {
      params_.AddInt(name, value.get<std::int64_t>());
    } else if (type == "float" || type == "double") {
      params_.AddDouble(name, ToDouble(value));
    } else if (type == "timestamp") {
      Timestamp(ref, shape, value, name);
    } else if (type == "blob") {
      params_.AddString(name, Base64Encode(value.get<std::string>()));
    } else {
      Fail("unsupported shape type " + type + " for " + name);
    }
  }

  void List(const Json& ref, const Json& shape, const Json& value, const std::string& name) {
    const Json& member = shape.at("member");
    if (value.empty()) {
      // awsQuery sends an empty list as "Name="; ec2Query cannot express one and sends nothing.
      if (protocol_ == Protocol::kQuery) params_.AddEmptyList(name);
      return;
    }
    // EC2 lists are always Name.N; Query lists Name.member.N (or Name.<name>.N) unless flattened.
    const bool flat = protocol_ == Protocol::kEc2 || Flattened(ref, shape);
    const std::string member_name = member.value("locationName", std::string("member"));
    if (IsPlainString(Target(member)) && (flat || member_name == "member")) {
      const std::vector<std::string> strings = value.get<std::vector<std::string>>();
      if (flat) {
        params_.AddFlatList(name, strings);
      } else {
        params_.AddMemberList(name, strings);
      }
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string element = flat ? QueryParams::FlatKey(name, i + 1)
                                  : member_name == "member"
                                      ? QueryParams::MemberKey(name, i + 1)
                                      : QueryParams::FlatKey(name + "." + member_name, i + 1);
      Value(member, value.at(i), element);
    }
  }

  void Map(const Json& ref, const Json& shape, const Json& value, const std::string& name) {
    if (protocol_ == Protocol::kEc2) return Fail("ec2Query has no map serialization");
    const Json& key = shape.at("key");
    const Json& val = shape.at("value");
    const std::string key_name = key.value("locationName", std::string("key"));
    const std::string value_name = val.value("locationName", std::string("value"));
    const bool flat = Flattened(ref, shape);
    if (!flat && key_name == "key" && value_name == "value" && IsPlainString(Target(val))) {
      std::vector<QueryParams::Entry> entries;
      for (const auto& [k, v] : value.items()) entries.emplace_back(k, v.get<std::string>());
      params_.AddEntryMap(name, entries);
      return;
    }
    std::size_t position = 0;
    for (const auto& [k, v] : value.items()) {
      ++position;
      const std::string entry =
          flat ? QueryParams::FlatKey(name, position) : QueryParams::EntryKey(name, position);
      params_.AddString(entry + "." + key_name, k);
      Value(val, v, entry + "." + value_name);
    }
  }

  void Timestamp(const Json& ref, const Json& shape, const Json& value, const std::string& name) {
    const std::string format =
        ref.value("timestampFormat", shape.value("timestampFormat", std::string("iso8601")));
    if (format == "unixTimestamp") {
      params_.AddInt(name, value.get<std::int64_t>());
    } else if (format == "iso8601") {
      const auto nanos = std::llround(value.get<double>() * 1e9);
      params_.AddTimestamp(name, resilience::SysTime(std::chrono::nanoseconds(nanos)));
    } else {
      Fail("timestamp format " + format + " is not used in Query requests");
    }
  }

  static double ToDouble(const Json& value) {
    if (value.is_string()) {
      const std::string text = value;
      if (text == "NaN") return std::nan("");
      if (text == "Infinity") return std::numeric_limits<double>::infinity();
      if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    return value.get<double>();
  }

  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  const Json& shapes_;
  Protocol protocol_;
  QueryParams& params_;
  std::string error_;
};

std::vector<std::pair<std::string, std::string>> SortedPairs(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    pairs.emplace_back(std::string(pair.substr(0, eq)), eq == std::string_view::npos
                                                            ? std::string()
                                                            : std::string(pair.substr(eq + 1)));
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
  }
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

class ProtocolInputTest : public ::testing::TestWithParam<ProtocolCase> {};

TEST_P(ProtocolInputTest, SerializesTheExpectedBody) {
  const ProtocolCase& c = GetParam();
  if (std::optional<std::string> reason = SkipReason(c)) GTEST_SKIP() << *reason;
  const Json& given = c.test.at("given");
  const Json& shapes = c.suite->at("shapes");
  QueryParams params;
  InputWalker walker(shapes, ProtocolOf(c), params);
  if (given.contains("input")) {
    walker.Structure(shapes.at(given.at("input").at("shape").get<std::string>()),
                     c.test.at("params"), "");
  }
  ASSERT_EQ(walker.error(), "");
  const std::string actual =
      params.EncodeForm(given.at("name").get<std::string>(),
                        c.suite->at("metadata").at("apiVersion").get<std::string>());
  const std::string expected = c.test.at("serialized").at("body");
  // The endpoint cases also expect a host prefix ("foo.example.com") and HostWithPath a URI: those
  // belong to the endpoint resolver, not to the body, and are not checked here. Content-Type is set
  // by the client.
  if (actual == expected) return;
  // Parameter order carries no meaning in the Query protocol (the service reads the parameters into
  // a map by name). The expected bodies list members in model order and so does the walker, so
  // every case should match exactly; should one differ only in order, it still passes, compared as
  // sorted (name, value) pairs.
  EXPECT_EQ(SortedPairs(actual), SortedPairs(expected))
      << "actual:   " << actual << "\nexpected: " << expected;
}

INSTANTIATE_TEST_SUITE_P(ProtocolEc2, ProtocolInputTest,
                         ::testing::ValuesIn(CasesOf("input-ec2.json")), CaseName);
INSTANTIATE_TEST_SUITE_P(ProtocolQuery, ProtocolInputTest,
                         ::testing::ValuesIn(CasesOf("input-query.json")), CaseName);

// --- Response side: body -> values, as a typed operation would read it

class OutputWalker {
 public:
  explicit OutputWalker(const Json& shapes) : shapes_(shapes) {}

  Json Structure(const Json& shape, XmlNode node) {
    Json object = Json::object();
    for (const auto& [member_name, member] : shape.at("members").items()) {
      const Json& target = Target(member);
      const std::string name = member.value("locationName", member_name);
      const bool flat = member.value("flattened", false) || target.value("flattened", false);
      if (flat && target.at("type") == "list") {
        // A flattened list is the repeated elements themselves, named after the member.
        std::vector<XmlNode> elements = node.Children(name);
        if (elements.empty()) continue;
        Json array = Json::array();
        for (XmlNode element : elements) array.push_back(Value(target.at("member"), element));
        object[member_name] = std::move(array);
      } else if (flat && target.at("type") == "map") {
        std::vector<XmlNode> entries = node.Children(name);
        if (entries.empty()) continue;
        object[member_name] = MapEntries(target, entries);
      } else if (XmlNode child = node.Child(name)) {
        object[member_name] = Value(member, child);
      }
    }
    return object;
  }

  const std::string& error() const { return error_; }

 private:
  const Json& Target(const Json& ref) const {
    return shapes_.at(ref.at("shape").get<std::string>());
  }

  Json Value(const Json& ref, XmlNode node) {
    const Json& shape = Target(ref);
    const std::string type = shape.at("type");
    if (type == "structure") return Structure(shape, node);
    if (type == "list") {
      const Json& member = shape.at("member");
      Json array = Json::array();
      for (XmlNode item : node.Children(member.value("locationName", std::string("member")))) {
        array.push_back(Value(member, item));
      }
      return array;
    }
    if (type == "map") return MapEntries(shape, node.Children("entry"));
    if (type == "string") return node.Text();
    if (type == "boolean") return Unwrap(node.AsBool());
    if (type == "integer" || type == "long" || type == "short" || type == "byte")
      return Unwrap(node.AsInt64());
    if (type == "float" || type == "double") {
      resilience::Result<double> value = node.AsDouble();
      if (!value.ok()) return Failed(value.error());
      if (std::isnan(*value)) return "NaN";  // how the cases write the special values
      if (std::isinf(*value)) return *value > 0 ? "Infinity" : "-Infinity";
      return *value;
    }
    if (type == "timestamp") {
      resilience::Result<resilience::SysTime> time = node.AsTimestamp();
      if (!time.ok()) return Failed(time.error());
      // Seconds since the epoch, as the cases write them (946845296.123).
      const auto since_epoch = time->time_since_epoch();
      const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
      return static_cast<double>(whole.count()) +
             static_cast<double>((since_epoch - whole).count()) / 1e9;
    }
    if (type == "blob") {
      std::optional<std::string> bytes = Base64Decode(node.Text());
      if (!bytes) Fail("<" + std::string(node.Name()) + "> is not base64");
      return bytes.value_or("");
    }
    Fail("unsupported shape type " + type);
    return nullptr;
  }

  // Map entries: <entry><key/><value/></entry> or, flattened, the member elements with
  // <key/><value/> inside.
  Json MapEntries(const Json& shape, const std::vector<XmlNode>& entries) {
    const Json& key = shape.at("key");
    const Json& value = shape.at("value");
    const std::string key_name = key.value("locationName", std::string("key"));
    const std::string value_name = value.value("locationName", std::string("value"));
    Json object = Json::object();
    for (XmlNode entry : entries) {
      object[entry.ChildText(key_name).value_or("")] = Value(value, entry.Child(value_name));
    }
    return object;
  }

  template <class T>
  Json Unwrap(const resilience::Result<T>& result) {
    return result.ok() ? Json(*result) : Failed(result.error());
  }

  Json Failed(const resilience::Error& error) {
    Fail(error.ToString());
    return nullptr;
  }

  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  const Json& shapes_;
  std::string error_;
};

// Object member order is not part of a result: compare as plain (sorted) JSON.
nlohmann::json Unordered(const Json& value) { return nlohmann::json::parse(value.dump()); }

HttpResponse ResponseOf(const Json& response) {
  HttpResponse http;
  http.status = response.at("status_code").get<int>();
  if (response.contains("headers")) {
    for (const auto& [name, value] : response.at("headers").items()) {
      http.headers.emplace_back(name, value.get<std::string>());
    }
  }
  http.body = response.value("body", std::string());
  return http;
}

class ProtocolOutputTest : public ::testing::TestWithParam<ProtocolCase> {};

TEST_P(ProtocolOutputTest, ParsesTheExpectedResultOrError) {
  const ProtocolCase& c = GetParam();
  if (std::optional<std::string> reason = SkipReason(c)) GTEST_SKIP() << *reason;
  const Json& given = c.test.at("given");
  const Json& shapes = c.suite->at("shapes");
  const HttpResponse response = ResponseOf(c.test.at("response"));

  if (c.test.contains("errorCode")) {
    ASSERT_TRUE(IsErrorResponse(response));
    const resilience::Error error = MapErrorResponse(response);
    EXPECT_EQ(error.code(), c.test.at("errorCode").get<std::string>());
    // A case without errorMessage asserts none (Ec2ComplexError sends <Message>Hi</Message>).
    if (c.test.contains("errorMessage")) {
      EXPECT_EQ(error.message(), c.test.at("errorMessage").get<std::string>());
    }
    EXPECT_EQ(error.http_status(), response.status);
    EXPECT_EQ(error.request_id(),
              "foo-id");  // every error case sends <RequestID>/<RequestId> foo-id
    // The error's own members (TopLevel, Nested/Foo), read from the first <Error> element.
    std::optional<std::string> shape_name;
    for (const Json& ref : given.value("errors", Json::array())) {
      const std::string name = ref.at("shape");
      const Json& shape = shapes.at(name);
      const std::string code =
          shape.contains("error") ? shape.at("error").value("code", name) : name;
      if (code == c.test.at("errorCode")) shape_name = name;
    }
    ASSERT_TRUE(shape_name.has_value()) << "no error shape for code " << c.test.at("errorCode");
    resilience::Result<XmlDocument> doc = XmlDocument::Parse(response.body);
    ASSERT_TRUE(doc.ok()) << doc.error().ToString();
    OutputWalker walker(shapes);
    const Json fields = walker.Structure(shapes.at(*shape_name), doc->Find("Error"));
    ASSERT_EQ(walker.error(), "");
    EXPECT_EQ(Unordered(fields), Unordered(c.test.value("error", Json::object())));
    return;
  }

  EXPECT_FALSE(IsErrorResponse(response));
  const Json expected = c.test.at("result");
  const Json* output = given.contains("output")
                           ? &shapes.at(given.at("output").at("shape").get<std::string>())
                           : nullptr;
  if (output == nullptr || output->at("members").empty()) {
    // An operation without output members reads nothing from the body (it may even be empty), as a
    // typed operation without a result would.
    EXPECT_EQ(Unordered(expected), nlohmann::json::object());
    if (response.body.empty()) return;
  }
  resilience::Result<XmlDocument> doc = XmlDocument::Parse(response.body);
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  const bool has_ec2_request_id =
      response.body.find("<requestId>requestid</requestId>") != std::string::npos;
  EXPECT_EQ(RequestIdOf(*doc), has_ec2_request_id ? "requestid" : "");
  if (output == nullptr) return;
  OutputWalker walker(shapes);
  const Json actual = walker.Structure(*output, ResultOf(*doc));
  ASSERT_EQ(walker.error(), "");
  EXPECT_EQ(Unordered(actual), Unordered(expected)) << "actual: " << actual.dump();
}

INSTANTIATE_TEST_SUITE_P(ProtocolEc2, ProtocolOutputTest,
                         ::testing::ValuesIn(CasesOf("output-ec2.json")), CaseName);
INSTANTIATE_TEST_SUITE_P(ProtocolQuery, ProtocolOutputTest,
                         ::testing::ValuesIn(CasesOf("output-query.json")), CaseName);

// --- The files themselves

TEST(ProtocolCases, EveryFileIsPresentWithItsCases) {
  struct Expected {
    std::string file;
    std::size_t cases;
    std::size_t skipped;
  };
  // botocore commit 0e6e2404 (SOURCE-botocore-commit.txt); another copy must update these.
  const std::vector<Expected> expected = {{"input-ec2.json", 29, 2},
                                          {"input-query.json", 38, 2},
                                          {"output-ec2.json", 29, 0},
                                          {"output-query.json", 38, 0}};
  std::size_t total = 0;
  for (const Expected& e : expected) {
    const LoadedFile& loaded = AllFiles().at(e.file);
    ASSERT_EQ(loaded.error, "") << e.file;
    std::map<std::string, std::size_t> reasons;
    std::size_t skipped = 0;
    for (const ProtocolCase& c : loaded.cases) {
      if (std::optional<std::string> reason = SkipReason(c)) {
        ++skipped;
        ++reasons[*reason];
      }
    }
    std::cout << "[ protocol ] " << e.file << ": " << loaded.cases.size() << " cases, "
              << loaded.cases.size() - skipped << " run, " << skipped << " skipped\n";
    for (const auto& [reason, count] : reasons)
      std::cout << "[ protocol ]   " << count << " x " << reason << "\n";
    EXPECT_EQ(loaded.cases.size(), e.cases) << e.file;
    EXPECT_EQ(skipped, e.skipped) << e.file;
    total += loaded.cases.size();
  }
  EXPECT_EQ(total, 134u);
}

TEST(ProtocolCases, Base64HelperRoundTrips) {
  // The walkers' own helper, checked so that a blob case cannot pass or fail because of it.
  EXPECT_EQ(Base64Encode("value"), "dmFsdWU=");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Decode("dmFsdWU="), "value");
  EXPECT_EQ(Base64Decode("YWI="), "ab");
  EXPECT_FALSE(Base64Decode("!!").has_value());
}

}  // namespace
}  // namespace ohfp::aws
