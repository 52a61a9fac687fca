// The HostFactory commands' input as `ohfp` reads it (-f FILE, --data, stdin), run as HostFactory
// runs it: whatever the input, stdout is one JSON document, and a bad input is exit 2, never 3 or a
// signal (issue 11: invalid UTF-8 and 1e400 were exit 3; the input size had no limit).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "subprocess.h"

namespace ohfp::cli {
namespace {

using ohfp::testing::ProcessResult;
using ::testing::HasSubstr;

// The message of a command's single JSON document on stdout; fails the test when stdout is not
// exactly that.
std::string MessageOf(const ProcessResult& r) {
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document: " << r.out.substr(0, 300);
  if (j.is_discarded() || !j.contains("message") || !j["message"].is_string()) return "";
  return j["message"].get<std::string>();
}

class HostFactoryInputCli : public ::testing::Test {
 protected:
  // The command in an empty configuration directory (the input is checked before it is read).
  ProcessResult Run(std::vector<std::string> args, ohfp::testing::ProcessOptions options = {}) {
    args.insert(args.begin(), ohfp::testing::OhfpBinary());
    options.env["HF_PROVIDER_CONFDIR"] = dir_.path();
    options.env["HF_PROVIDER_WORKDIR"] = dir_.path();
    options.env["HF_PROVIDER_LOGDIR"] = dir_.path();
    options.unset_env.push_back("OHFP_MAX_INPUT_BYTES");
    return ohfp::testing::RunProcess(args, options);
  }

  ohfp::testing::TempDir dir_;
};

TEST_F(HostFactoryInputCli, AnInputOverTheLimitIsRefusedFromEverySource) {
  // 16 MiB and one byte of valid JSON: {"machines": [] } padded with spaces.
  const std::string big = "{\"machines\": []" + std::string((16 << 20) - 15, ' ') + "}";
  ASSERT_EQ(big.size(), (std::size_t{16} << 20) + 1);
  const std::string file = dir_.Write("input.json", big);

  const ProcessResult from_file = Run({"getReturnRequests", "-f", file});
  EXPECT_EQ(from_file.exit_code, 2) << from_file.err;
  EXPECT_THAT(MessageOf(from_file),
              HasSubstr("the input file " + file + " is larger than 16777216 bytes"));

  const ProcessResult from_stdin = Run({"getReturnRequests"}, {.stdin_text = big});
  EXPECT_EQ(from_stdin.exit_code, 2) << from_stdin.err;
  EXPECT_THAT(MessageOf(from_stdin), HasSubstr("the input on stdin is larger than 16777216 bytes"));

  // The limit is an option, and the environment's OHFP_MAX_INPUT_BYTES.
  const std::string small = R"({"machines": []})";
  const ProcessResult option =
      Run({"getReturnRequests", "--max-input-bytes", "10", "--data", small});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(MessageOf(option), HasSubstr("the --data input is larger than 10 bytes"));
  const ProcessResult env = Run({"getReturnRequests", "-f", dir_.Write("small.json", small)},
                                {.env = {{"OHFP_MAX_INPUT_BYTES", "15"}}});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_THAT(MessageOf(env), HasSubstr("is larger than 15 bytes"));
  // At the limit it is read (and then fails for want of templates, not because of its size).
  const ProcessResult at_limit =
      Run({"getReturnRequests", "--max-input-bytes", "16", "--data", small});
  EXPECT_THAT(MessageOf(at_limit), ::testing::Not(HasSubstr("larger than")));
}

TEST_F(HostFactoryInputCli, HostileInputsAreExitTwoWithOneJsonDocument) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"template\": {\"templateId\": \"caf\xe9\", \"machineCount\": 1}}", "not valid JSON"},
      {"{\"template\": {\"templateId\": \"a\", \"machineCount\": 1e400}}",
       "a number beyond the range of a double"},
      {"{\"template\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}",
       "deeper than 64 levels"},
      {"{\"template\": {\"templateId\": \"a\", \"machineCount\": 18446744073709551615}}",
       "template.machineCount is too large"},
      {std::string("\xfe\xff{}", 4), "not valid JSON"},
  };
  for (const auto& [input, says] : cases) {
    const ProcessResult r = Run({"requestMachines", "-f", dir_.Write("input.json", input)});
    EXPECT_EQ(r.exit_code, 2) << input.substr(0, 60) << "\n" << r.out << r.err;
    EXPECT_THAT(MessageOf(r), HasSubstr(says)) << input.substr(0, 60);
  }
}

TEST_F(HostFactoryInputCli, ArgumentsThatAreNotUtf8StillGiveOneJsonDocument) {
  const ProcessResult missing = Run({"getRequestStatus", "-f", dir_.path() + "/no-such-\xff.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(MessageOf(missing), HasSubstr("cannot read input file"));
  const ProcessResult option = Run({"getRequestStatus", "--\xfe\xff"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(MessageOf(option), HasSubstr("bad arguments"));
}

}  // namespace
}  // namespace ohfp::cli
