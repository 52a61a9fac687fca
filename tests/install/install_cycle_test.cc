// A site's first day, from the installed tree only (OHFP_INSTALL_PREFIX, written by the
// install_tree test): `ohfp init --discover` against moto writes the provider directory and
// registers it in a HostFactory conf directory; then the installed ohfp-hf-simulator plays
// HostFactory through the scripts named by that registration (scriptPath), with the environment
// HostFactory derives from it (confPath, workPath, logPath, the provider's name). Nothing points
// into the build tree: no OHFP_BIN, a PATH of /usr/bin:/bin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "e2e_world.h"
#include "moto.h"
#include "subprocess.h"

namespace ohfp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

// Environment variables that must not leak into the site's processes from the test's.
const std::vector<std::string> kUnset = {"OHFP_BIN",
                                         "AWS_PROFILE",
                                         "AWS_SESSION_TOKEN",
                                         "AWS_CONFIG_FILE",
                                         "AWS_SHARED_CREDENTIALS_FILE",
                                         "AWS_REGION",
                                         "AWS_DEFAULT_REGION",
                                         "HF_PROVIDER_CONFDIR",
                                         "HF_PROVIDER_WORKDIR",
                                         "HF_PROVIDER_LOGDIR",
                                         "HF_PROVIDER_NAME"};

nlohmann::json ReadJson(const fs::path& path) {
  return nlohmann::json::parse(ReadFileText(path.string()), nullptr, /*allow_exceptions=*/false);
}

// The entry named `name` in the list `key` of a HostFactory registration file.
nlohmann::json Entry(const nlohmann::json& file, const std::string& key, const std::string& name) {
  if (!file.is_object() || !file.contains(key)) return nullptr;
  for (const nlohmann::json& e : file[key]) {
    if (e.value("name", "") == name) return e;
  }
  return nullptr;
}

// ${HF_CONFDIR}, ${HF_WORKDIR}, ${HF_LOGDIR} replaced as HostFactory does.
std::string Expand(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [name, value] : vars) {
    const std::string token = "${" + name + "}";
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
      text.replace(at, token.size(), value);
      at += value.size();
    }
  }
  return text;
}

class InstalledSite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    moto_ = MotoServer::Start({}, &why).release();
    if (moto_ == nullptr) failure_ = why;
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << failure_;
    const char* prefix = std::getenv("OHFP_INSTALL_PREFIX");
    ASSERT_NE(prefix, nullptr) << "run through ctest: OHFP_INSTALL_PREFIX names the installed tree";
    prefix_ = prefix;
    ASSERT_TRUE(fs::is_regular_file(prefix_ / "bin" / "ohfp")) << prefix_;
  }
  // AWS as the site sees it (moto), and nothing from the build tree.
  std::map<std::string, std::string> SiteEnv() const {
    const MotoCredentials key = moto_->credentials();  // moto checks signatures, as AWS does
    return {{"AWS_ENDPOINT_URL", moto_->url()},
            {"AWS_ACCESS_KEY_ID", key.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", key.secret_access_key},
            {"PATH", "/usr/bin:/bin"}};
  }
  ProcessResult Run(const std::vector<std::string>& argv,
                    std::map<std::string, std::string> extra = {}) const {
    std::map<std::string, std::string> env = SiteEnv();
    for (auto& [k, v] : extra) env[k] = std::move(v);
    return RunProcess(argv,
                      {.env = env, .unset_env = kUnset, .timeout = std::chrono::seconds(300)});
  }

  static MotoServer* moto_;
  static std::string failure_;
  fs::path prefix_;
};
MotoServer* InstalledSite::moto_ = nullptr;
std::string InstalledSite::failure_;

TEST_F(InstalledSite, InitDiscoverThenAHostFactoryCycleThroughTheInstalledScripts) {
  TempDir site;
  const fs::path hfconf = fs::path(site.path()) / "conf";
  const fs::path hfwork = fs::path(site.path()) / "work";
  const fs::path hflog = fs::path(site.path()) / "log";

  // 1. ohfp init, as the administrator runs it.
  const ProcessResult init =
      Run({(prefix_ / "bin" / "ohfp").string(), "init", "--name", "awsinst", "--hostfactory-conf",
           hfconf.string(), "--region", "us-east-1", "--discover"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;

  // 2. What HostFactory reads: the registration of the plugin and of the provider instance.
  const nlohmann::json plugin = Entry(
      ReadJson(hfconf / "providerplugins" / "hostProviderPlugins.json"), "providerplugins", "ohfp");
  ASSERT_TRUE(plugin.is_object()) << init.out;
  EXPECT_EQ(plugin["enabled"], 1);
  const fs::path scripts = plugin["scriptPath"].get<std::string>();
  EXPECT_EQ(fs::weakly_canonical(scripts),
            fs::weakly_canonical(prefix_ / "libexec" / "ohfp" / "hostfactory"));
  const nlohmann::json provider =
      Entry(ReadJson(hfconf / "providers" / "hostProviders.json"), "providers", "awsinst");
  ASSERT_TRUE(provider.is_object()) << init.out;
  EXPECT_EQ(provider["plugin"], "ohfp");
  const std::map<std::string, std::string> hf_vars = {{"HF_CONFDIR", hfconf.string()},
                                                      {"HF_WORKDIR", hfwork.string()},
                                                      {"HF_LOGDIR", hflog.string()}};
  const fs::path confdir = Expand(provider["confPath"].get<std::string>(), hf_vars);
  const fs::path workdir = Expand(provider["workPath"].get<std::string>(), hf_vars);
  const fs::path logdir = Expand(provider["logPath"].get<std::string>(), hf_vars);
  EXPECT_EQ(fs::weakly_canonical(confdir), fs::weakly_canonical(hfconf / "providers" / "awsinst"));
  fs::create_directories(workdir);  // HostFactory makes them
  fs::create_directories(logdir);

  // 3. The template --discover wrote: moto's default subnets, the default VPC's default group, an
  // Amazon Linux AMI, the instance type's size.
  const nlohmann::json templates = ReadJson(confdir / "awsprov_templates.json");
  ASSERT_TRUE(templates.is_object()) << ReadFileText((confdir / "awsprov_templates.json").string());
  ASSERT_EQ(templates["templates"].size(), 1U);
  const nlohmann::json& t = templates["templates"][0];
  EXPECT_THAT(t["imageId"].get<std::string>(), MatchesRegex("ami-[0-9a-f]{8,17}"));
  EXPECT_EQ(t["subnetId"], nlohmann::json(MotoDefaultSubnets(*moto_)));
  ASSERT_EQ(t["securityGroupIds"].size(), 1U);
  EXPECT_THAT(t["securityGroupIds"][0].get<std::string>(), MatchesRegex("sg-[0-9a-f]+"));
  EXPECT_EQ(t["attributes"]["ncpus"], nlohmann::json({"Numeric", "2"}));  // t3.medium
  EXPECT_EQ(t["attributes"]["nram"], nlohmann::json({"Numeric", "4096"}));

  // 4. HostFactory's cycle, through the scripts of the registration, with the installed simulator.
  const std::map<std::string, std::string> provider_env = {
      {"HF_PROVIDER_CONFDIR", confdir.string()},
      {"HF_PROVIDER_WORKDIR", workdir.string()},
      {"HF_PROVIDER_LOGDIR", logdir.string()},
      {"HF_PROVIDER_NAME", "awsinst"}};
  const ProcessResult cycle =
      Run({(prefix_ / "bin" / "ohfp-hf-simulator").string(), "--shim-dir", scripts.string(),
           "cycle", "--template", t["templateId"].get<std::string>() + ":2", "--poll-interval",
           "0.5", "--timeout", "120", "--json"},
          provider_env);
  ASSERT_EQ(cycle.exit_code, 0) << cycle.out << cycle.err;
  const nlohmann::json report = nlohmann::json::parse(cycle.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << cycle.out;
  EXPECT_EQ(report["ok"], true) << report.dump(2);
  ASSERT_EQ(report["requests"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["requests"][0]["status"], "complete") << report.dump(2);
  EXPECT_EQ(report["requests"][0]["machines"].size(), 2U) << report.dump(2);
  ASSERT_EQ(report["returns"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["returns"][0]["status"], "complete") << report.dump(2);

  // The machines were ohfp's, tagged with the provider's name, and all are gone.
  const std::vector<MotoInstance> all = MotoInstances(*moto_);
  EXPECT_EQ(TaggedFor(all, "awsinst").size(), 2U) << Describe(all);
  EXPECT_THAT(LiveInstances(all), IsEmpty()) << Describe(all);
  // The state and the log went where the registration said.
  EXPECT_TRUE(fs::exists(workdir / "ohfp-state.db"));
  EXPECT_THAT(ReadFileText((logdir / "app.log").string()), HasSubstr("requestMachines"));

  // 5. A script reached through a symbolic link from elsewhere still finds the installed ohfp.
  const fs::path links = fs::path(site.path()) / "links";
  fs::create_directories(links);
  fs::create_symlink(scripts / "getAvailableTemplates.sh", links / "getAvailableTemplates.sh");
  const ProcessResult linked = Run({(links / "getAvailableTemplates.sh").string()}, provider_env);
  ASSERT_EQ(linked.exit_code, 0) << linked.out << linked.err;
  EXPECT_THAT(linked.out, HasSubstr("\"templateId\":\"" + t["templateId"].get<std::string>()));
}

}  // namespace
}  // namespace ohfp::testing
