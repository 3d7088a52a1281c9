#include "medic/webhook/host_filter.h"

#include <doctest/doctest.h>

using medic::FleetSettings;
using medic::LabelSet;
using medic::webhook::HostFilter;
using medic::webhook::HostWithoutPort;
using Verdict = HostFilter::Verdict;

namespace {

FleetSettings Host2() {
  FleetSettings settings;
  settings.host = "host-2";
  settings.aliases = {"host-2.example.com", "10.0.0.2", "::1"};
  return settings;
}

LabelSet Instance(const std::string& value) {
  return {{"alertname", "ServiceDown"}, {"instance", value}};
}

}  // namespace

TEST_CASE("the host label's value is compared without its port") {
  CHECK(HostWithoutPort("host-2:9469") == "host-2");
  CHECK(HostWithoutPort("host-2") == "host-2");
  CHECK(HostWithoutPort("[::1]:9469") == "::1");
  CHECK(HostWithoutPort("[::1]") == "::1");
  CHECK(HostWithoutPort("::1") == "::1");
  CHECK(HostWithoutPort("fe80::1:9469") == "fe80::1:9469");  // bare IPv6: no port to cut
  CHECK(HostWithoutPort("10.0.0.2:8000") == "10.0.0.2");
  CHECK(HostWithoutPort("host-2:http") == "host-2:http");  // not a port number
  CHECK(HostWithoutPort("[::1]x") == "[::1]x");
  CHECK(HostWithoutPort("[::1") == "[::1");
  CHECK(HostWithoutPort("") == "");
}

TEST_CASE("an alert is this host's when its instance names the host or an alias") {
  const HostFilter filter(Host2());
  CHECK(filter.Classify(Instance("host-2:9469")) == Verdict::kOwn);
  CHECK(filter.Classify(Instance("host-2:8000")) == Verdict::kOwn);
  CHECK(filter.Classify(Instance("HOST-2:8000")) == Verdict::kOwn);  // DNS names: any case
  CHECK(filter.Classify(Instance("host-2.example.com:443")) == Verdict::kOwn);
  CHECK(filter.Classify(Instance("10.0.0.2:9100")) == Verdict::kOwn);
  CHECK(filter.Classify(Instance("[::1]:9469")) == Verdict::kOwn);
  CHECK(filter.Classify(Instance("host-20:9469")) == Verdict::kOtherHost);
  CHECK(filter.Classify(Instance("host-2.example.org:9469")) == Verdict::kOtherHost);
  CHECK(filter.Classify(Instance("host-1:9469")) == Verdict::kOtherHost);
  CHECK(filter.Classify(Instance("[::2]:9469")) == Verdict::kOtherHost);
  CHECK(filter.Acts(Verdict::kOwn));
  CHECK_FALSE(filter.Acts(Verdict::kOtherHost));
}

TEST_CASE("an alert without the host label is ignored unless without_host_label is act") {
  FleetSettings settings = Host2();
  const HostFilter ignoring(settings);
  CHECK(ignoring.Classify({{"alertname", "ServiceDown"}}) == Verdict::kNoHostLabel);
  CHECK(ignoring.Classify(Instance("")) == Verdict::kNoHostLabel);
  CHECK_FALSE(ignoring.Acts(Verdict::kNoHostLabel));
  settings.without_host_label = FleetSettings::WithoutHostLabel::kAct;
  CHECK(HostFilter(settings).Acts(Verdict::kNoHostLabel));
  CHECK_FALSE(HostFilter(settings).Acts(Verdict::kOtherHost));
}

TEST_CASE("host_label names another label: instance then means nothing") {
  FleetSettings settings = Host2();
  settings.host_label = "node";
  const HostFilter filter(settings);
  CHECK(filter.Classify({{"instance", "host-2:9469"}}) == Verdict::kNoHostLabel);
  CHECK(filter.Classify({{"instance", "host-1:9469"}, {"node", "host-2"}}) == Verdict::kOwn);
  CHECK(filter.Classify({{"instance", "host-2:9469"}, {"node", "host-1"}}) == Verdict::kOtherHost);
}
