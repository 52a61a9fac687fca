// What reading an AWS answer costs, and what the checks of issue 9 item 4 add to it: a
// DescribeInstances page of 1000 instances (moto's shape, about 3.6 MB), parsed by pugixml alone
// (the baseline), by XmlDocument::Parse (plus the DOCTYPE, depth and UTF-8 checks), and read whole
// by the typed ec2::DescribeInstances through AwsClient (signing, the root check, every instance
// parsed) over a transport that hands the page back from memory.
//
//   build/default/bench/ohfp_aws_answer_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <array>
#include <pugixml.hpp>
#include <string>

#include "aws/aws_client.h"
#include "aws/ec2/instances.h"
#include "aws/xml.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace {

namespace aws = ohfp::aws;

// One instance as moto describes it (tags, network interface, block device), `i` its number.
std::string Instance(int i) {
  const std::string id = "i-" + std::to_string(100000000 + i) + "abcdef0";
  return "<item><instanceId>" + id +
         "</instanceId><imageId>ami-12c6146b</imageId><instanceState><code>16</code><name>running"
         "</name></instanceState><privateDnsName>ip-10-0-" +
         std::to_string(i % 250) + "-" + std::to_string(i % 200) +
         ".ec2.internal</privateDnsName><publicDnsName/><reason/><keyName>key</keyName>"
         "<amiLaunchIndex>0</amiLaunchIndex><productCodes/><instanceType>c5.large</instanceType>"
         "<launchTime>2026-01-01T00:00:00.000Z</launchTime><placement><availabilityZone>us-east-1a"
         "</availabilityZone><groupName/><tenancy>default</tenancy></placement><monitoring><state>"
         "disabled</state></monitoring><subnetId>subnet-0123456789abcdef0</subnetId><vpcId>"
         "vpc-0123456789abcdef0</vpcId><privateIpAddress>10.0.0.1</"
         "privateIpAddress><sourceDestCheck>"
         "true</sourceDestCheck><groupSet><item><groupId>sg-0123456789abcdef0</groupId><groupName>"
         "default</groupName></item></groupSet><architecture>x86_64</"
         "architecture><rootDeviceType>ebs"
         "</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item>"
         "<deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-0123456789abcdef0</volumeId><status>"
         "attached</status><attachTime>2026-01-01T00:00:00.000Z</"
         "attachTime><deleteOnTermination>true"
         "</deleteOnTermination></ebs></item></blockDeviceMapping><virtualizationType>hvm"
         "</virtualizationType><clientToken>req-1-a1</"
         "clientToken><tagSet><item><key>ohfp:request-id"
         "</key><value>req-1</value></item><item><key>ohfp:provider</key><value>aws</value></item>"
         "<item><key>Name</key><value>worker " +
         std::to_string(i) +
         "</value></item></tagSet><hypervisor>xen</hypervisor><networkInterfaceSet><item>"
         "<networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId><subnetId>"
         "subnet-0123456789abcdef0</subnetId><vpcId>vpc-0123456789abcdef0</vpcId><description/>"
         "<ownerId>123456789012</ownerId><status>in-use</status><macAddress>1b:2b:3c:4d:5e:6f"
         "</macAddress><privateIpAddress>10.0.0.1</privateIpAddress><sourceDestCheck>true"
         "</sourceDestCheck><groupSet><item><groupId>sg-0123456789abcdef0</"
         "groupId><groupName>default"
         "</groupName></item></groupSet><attachment><attachmentId>eni-attach-0123456789abcdef0"
         "</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>"
         "2026-01-01T00:00:00Z</attachTime><deleteOnTermination>true</deleteOnTermination>"
         "</attachment><privateIpAddressesSet><item><privateIpAddress>10.0.0.1</privateIpAddress>"
         "<primary>true</primary></item></privateIpAddressesSet></item></networkInterfaceSet>"
         "<ebsOptimized>false</ebsOptimized></item>";
}

const std::string& Page() {
  static const std::string page = [] {
    std::string p =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse "
        "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1</requestId>"
        "<reservationSet><item><reservationId>r-0123456789abcdef0</reservationId><ownerId>"
        "123456789012</ownerId><groupSet/><instancesSet>";
    for (int i = 0; i < 1000; ++i) p += Instance(i);
    return p + "</instancesSet></item></reservationSet></DescribeInstancesResponse>";
  }();
  return page;
}

// The baseline: pugixml's parse alone, as XmlDocument::Parse calls it.
void BM_PugixmlParse(benchmark::State& state) {
  for (auto _ : state) {
    pugi::xml_document document;
    benchmark::DoNotOptimize(document.load_buffer(Page().data(), Page().size(),
                                                  pugi::parse_default | pugi::parse_doctype,
                                                  pugi::encoding_auto));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Page().size()));
}
BENCHMARK(BM_PugixmlParse)->Unit(benchmark::kMillisecond);

void BM_XmlDocumentParse(benchmark::State& state) {
  for (auto _ : state) {
    auto document = aws::XmlDocument::Parse(Page());
    if (!document.ok()) state.SkipWithError("the page does not parse");
    benchmark::DoNotOptimize(document);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Page().size()));
}
BENCHMARK(BM_XmlDocumentParse)->Unit(benchmark::kMillisecond);

class PageTransport final : public aws::HttpTransport {
 public:
  ohfp::resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest&,
                                                   ohfp::resilience::Deadline,
                                                   std::stop_token) override {
    return aws::HttpResponse{200, {{"Content-Type", "text/xml;charset=UTF-8"}}, Page()};
  }
};

void BM_TypedDescribeInstances(benchmark::State& state) {
  ohfp::resilience::SystemClock clock;
  ohfp::resilience::SeededRandom random(1);
  ohfp::resilience::InMemoryStateStore store;
  ohfp::resilience::ResiliencePipeline pipeline({}, {clock, random, store});
  PageTransport transport;
  aws::StaticCredentialsProvider credentials(
      aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints;
  for (aws::Endpoint& e : endpoints) {
    e = {"http://127.0.0.1:1", "127.0.0.1:1", "ec2", "us-east-1", "bench"};
  }
  aws::AwsClient client(
      "us-east-1", endpoints,
      {.transport = transport, .credentials = credentials, .clock = clock, .pipeline = pipeline});
  for (auto _ : state) {
    auto instances = aws::ec2::DescribeInstances(client, {});
    if (!instances.ok() || instances->size() != 1000) state.SkipWithError("not 1000 instances");
    benchmark::DoNotOptimize(instances);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Page().size()));
}
BENCHMARK(BM_TypedDescribeInstances)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
