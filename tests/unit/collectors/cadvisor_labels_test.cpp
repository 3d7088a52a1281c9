#include "medic/collectors/cadvisor_labels.h"

#include <doctest/doctest.h>

using namespace medic;

namespace {

std::map<std::string, std::string> AsMap(const LabelPairs& labels) {
  std::map<std::string, std::string> out;
  for (const auto& label : labels) CHECK(out.emplace(label.name, label.value).second);
  return out;
}

}  // namespace

TEST_CASE("Docker label keys become cAdvisor's container_label_ names") {
  CHECK(ContainerLabelName("com.docker.compose.service") ==
        "container_label_com_docker_compose_service");
  CHECK(ContainerLabelName("org.opencontainers.image.ref-name") ==
        "container_label_org_opencontainers_image_ref_name");
  CHECK(ContainerLabelName("a/b:c") == "container_label_a_b_c");
}

TEST_CASE("only allowed labels, each once; id from the cgroup only when asked and known") {
  ContainerSettings settings;
  docker::ContainerDetails details;
  details.id = "abc123";
  details.name = "review-bot";
  details.image = "review-bot:1.2";
  details.labels = {{"com.docker.compose.service", "bot"},
                    {"com.docker.compose.a-b", "first"},  // both sanitise to ..._a_b
                    {"com.docker.compose.a.b", "second"},
                    {"com.docker.compose.empty", ""},
                    {"maintainer", "someone"}};
  ContainerObservation observation;
  observation.cgroup_path = "/docker/abc123";
  auto labels = AsMap(CadvisorLabels(settings, observation, details));
  CHECK(labels.at("id") == "abc123");
  CHECK(labels.at("name") == "review-bot");
  CHECK(labels.at("image") == "review-bot:1.2");
  CHECK(labels.count("container_label_maintainer") == 0);
  CHECK(labels.count("container_label_com_docker_compose_empty") == 0);
  CHECK(labels.at("container_label_com_docker_compose_service") == "bot");
  // "a-b" sorts before "a.b" and keeps the name.
  CHECK(labels.at("container_label_com_docker_compose_a_b") == "first");

  settings.id_label = ContainerSettings::IdLabel::kCgroupPath;
  settings.label_allowlist = {"maintainer"};
  labels = AsMap(CadvisorLabels(settings, observation, details));
  CHECK(labels.at("id") == "/docker/abc123");
  CHECK(labels.at("container_label_maintainer") == "someone");
  CHECK(labels.count("container_label_com_docker_compose_service") == 0);

  observation.cgroup_path.clear();  // another pid namespace: fall back to the container id
  CHECK(AsMap(CadvisorLabels(settings, observation, details)).at("id") == "abc123");
}
