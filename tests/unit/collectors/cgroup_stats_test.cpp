#include "medic/collectors/cgroup_stats.h"
#include "medic/collectors/host_stats.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace medic;

namespace {

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << content;
}

}  // namespace

TEST_CASE(
    "/proc/<pid>/cgroup: v1 controllers (joined ones split), the unified line, systemd's skipped") {
  const CgroupMembership membership = ParseProcCgroup(
      "12:pids:/docker/abc\n"
      "4:cpu,cpuacct:/docker/abc\n"
      "3:memory:/docker/abc\n"
      "1:name=systemd:/system.slice/docker-abc.scope\n"
      "0::/system.slice/docker-abc.scope\n"
      "garbage\n");
  CHECK(membership.v1.at("cpu") == "/docker/abc");
  CHECK(membership.v1.at("cpuacct") == "/docker/abc");
  CHECK(membership.v1_hierarchy.at("cpu") == "cpu,cpuacct");
  CHECK(membership.v1.count("name=systemd") == 0);
  CHECK(membership.unified == "/system.slice/docker-abc.scope");
  CHECK(membership.Path() == "/docker/abc");  // v1's memory controller, as cAdvisor names it
  const CgroupMembership v2 = ParseProcCgroup("0::/system.slice/docker-abc.scope\n");
  CHECK(v2.Path() == "/system.slice/docker-abc.scope");
  CHECK(ParseProcCgroup("").Path().empty());
}

TEST_CASE("cgroup v1: memory breakdown, cpuacct, CFS throttling and blkio per device") {
  medic::test::TempDir dir;
  const std::string root = dir.Join("cgroup");
  const std::string sys = dir.Join("sys");
  WriteFile(root + "/memory/docker/abc/memory.usage_in_bytes", "104857600\n");
  WriteFile(root + "/memory/docker/abc/memory.max_usage_in_bytes", "115343360\n");
  WriteFile(root + "/memory/docker/abc/memory.stat",
            "cache 1\nrss 2\ntotal_cache 31457280\ntotal_rss 52428800\ntotal_swap 4096\n"
            "total_mapped_file 1048576\ntotal_inactive_file 20971520\n");
  // cpu and cpuacct mounted together, as systemd does.
  WriteFile(root + "/cpu,cpuacct/docker/abc/cpuacct.usage", "2500000000\n");
  const long ticks = ::sysconf(_SC_CLK_TCK);
  WriteFile(root + "/cpu,cpuacct/docker/abc/cpuacct.stat",
            "user " + std::to_string(2 * ticks) + "\nsystem " + std::to_string(ticks / 2) + "\n");
  WriteFile(root + "/cpu,cpuacct/docker/abc/cpu.stat",
            "nr_periods 100\nnr_throttled 7\nthrottled_time 350000000\n");
  WriteFile(root + "/blkio/docker/abc/blkio.throttle.io_service_bytes_recursive",
            "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n"
            "8:16 Read 1\n8:16 Write 2\nTotal 12291\n");
  WriteFile(sys + "/dev/block/8:0/uevent", "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n");
  const CgroupStats stats = ReadCgroupStats(
      ParseProcCgroup("4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n2:blkio:/docker/abc\n"),
      root, sys);
  CHECK(stats.memory_usage == 104857600u);
  CHECK(stats.memory_max_usage == 115343360u);
  CHECK(stats.memory_rss == 52428800u);
  CHECK(stats.memory_cache == 31457280u);
  CHECK(stats.memory_swap == 4096u);
  CHECK(stats.memory_mapped_file == 1048576u);
  CHECK(stats.memory_inactive_file == 20971520u);
  CHECK(stats.cpu_seconds == doctest::Approx(2.5));
  CHECK(stats.cpu_user_seconds == doctest::Approx(2.0));
  CHECK(stats.cpu_system_seconds == doctest::Approx(0.5).epsilon(0.05));
  CHECK(stats.cfs_periods == 100u);
  CHECK(stats.cfs_throttled_periods == 7u);
  CHECK(stats.cfs_throttled_seconds == doctest::Approx(0.35));
  REQUIRE(stats.block_io);
  REQUIRE(stats.block_io->size() == 2);
  CHECK((*stats.block_io)[0].device == "/dev/sda");
  CHECK((*stats.block_io)[0].read_bytes == 4096u);
  CHECK((*stats.block_io)[0].write_bytes == 8192u);
  CHECK((*stats.block_io)[1].device == "8:16");  // sysfs does not name it
}

TEST_CASE("cgroup v2: one directory, microseconds, io.stat; absent files stay absent") {
  medic::test::TempDir dir;
  const std::string root = dir.Join("cgroup");
  WriteFile(root + "/cgroup.controllers", "cpu io memory pids\n");
  const std::string container = root + "/system.slice/docker-abc.scope";
  WriteFile(container + "/memory.current", "52428800\n");
  WriteFile(container + "/memory.stat",
            "anon 30000000\nfile 20000000\nfile_mapped 100\n"
            "inactive_file 2097152\n");
  WriteFile(container + "/memory.swap.current", "0\n");
  WriteFile(container + "/cpu.stat",
            "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 3\n"
            "nr_throttled 1\nthrottled_usec 5000\n");
  WriteFile(container + "/io.stat",
            "253:0 rbytes=65536 wbytes=131072 rios=4 wios=8 dbytes=0 dios=0\n");
  const CgroupStats stats = ReadCgroupStats(ParseProcCgroup("0::/system.slice/docker-abc.scope\n"),
                                            root, dir.Join("sys"));
  CHECK(stats.memory_usage == 52428800u);
  CHECK_FALSE(stats.memory_max_usage);  // memory.peak needs Linux 5.19
  CHECK(stats.memory_rss == 30000000u);
  CHECK(stats.memory_cache == 20000000u);
  CHECK(stats.memory_swap == 0u);
  CHECK(stats.cpu_seconds == doctest::Approx(0.123456));
  CHECK(stats.cpu_user_seconds == doctest::Approx(0.1));
  CHECK(stats.cfs_throttled_seconds == doctest::Approx(0.005));
  REQUIRE(stats.block_io);
  REQUIRE(stats.block_io->size() == 1);
  CHECK((*stats.block_io)[0].device == "253:0");
  CHECK((*stats.block_io)[0].read_bytes == 65536u);
  CHECK((*stats.block_io)[0].write_bytes == 131072u);

  const CgroupStats gone =
      ReadCgroupStats(ParseProcCgroup("0::/system.slice/docker-gone.scope\n"), root, "/sys");
  CHECK_FALSE(gone.memory_usage);
  CHECK_FALSE(gone.cpu_seconds);
  CHECK_FALSE(gone.block_io);
}

TEST_CASE("blkio that lists no device: read and written nothing, not unknown") {
  medic::test::TempDir dir;
  WriteFile(dir.Join("cgroup/blkio/x/blkio.throttle.io_service_bytes_recursive"), "Total 0\n");
  const CgroupStats stats =
      ReadCgroupStats(ParseProcCgroup("7:blkio:/x\n"), dir.Join("cgroup"), dir.Join("sys"));
  REQUIRE(stats.block_io);
  CHECK(stats.block_io->empty());
}

TEST_CASE("/proc/net/dev: counters per interface, without loopback and container links") {
  const auto interfaces = ParseProcNetDev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
      "  eth0: 5338 60 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n"
      "vethab12: 9 9 9 9 0 0 0 0 9 9 9 9 0 0 0 0\n"
      "docker0: 9 9 9 9 0 0 0 0 9 9 9 9 0 0 0 0\n"
      "  ens3: 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n");
  REQUIRE(interfaces.size() == 2);
  CHECK(interfaces[0].interface == "ens3");
  CHECK(interfaces[1].interface == "eth0");
  CHECK(interfaces[1].rx_bytes == 5338u);
  CHECK(interfaces[1].rx_errors == 1u);
  CHECK(interfaces[1].rx_dropped == 2u);
  CHECK(interfaces[1].tx_bytes == 2000u);
  CHECK(interfaces[1].tx_packets == 20u);
  CHECK(interfaces[1].tx_dropped == 4u);
}

TEST_CASE("the host: root cgroup figures, /proc standing in for what the root has not") {
  medic::test::TempDir dir;
  WriteFile(dir.Join("proc/meminfo"),
            "MemTotal: 1000 kB\nMemFree: 400 kB\nCached: 100 kB\n"
            "Inactive(file): 50 kB\nAnonPages: 300 kB\n");
  const long ticks = ::sysconf(_SC_CLK_TCK);
  WriteFile(dir.Join("proc/stat"), "cpu  " + std::to_string(10 * ticks) + " 0 " +
                                       std::to_string(5 * ticks) +
                                       " 100 0 0 0 0 0 0\ncpu0 1 2 3\n");
  WriteFile(dir.Join("proc/net/dev"), "h\nh\n  eth0: 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n");
  // Pure v2: the root has cpu.stat but no memory.current.
  WriteFile(dir.Join("cgroup/cgroup.controllers"), "cpu memory\n");
  WriteFile(dir.Join("cgroup/cpu.stat"),
            "usage_usec 20000000\nuser_usec 12000000\nsystem_usec 8000000\n");
  const HostStats host = ReadHostStats(dir.Join("proc"), dir.Join("cgroup"), dir.Join("sys"));
  CHECK(host.cgroup.memory_usage == 600u * 1024);
  CHECK(host.cgroup.memory_inactive_file == 50u * 1024);
  CHECK(host.cgroup.cpu_seconds == doctest::Approx(20));
  CHECK(host.cgroup.cpu_user_seconds == doctest::Approx(12));
  REQUIRE(host.networks.size() == 1);
  CHECK(host.networks[0].tx_bytes == 5u);

  medic::test::TempDir bare;
  WriteFile(bare.Join("proc/stat"), "cpu  " + std::to_string(10 * ticks) + " 0 " +
                                        std::to_string(5 * ticks) + " 100 0 0 0 0\n");
  const HostStats from_proc = ReadHostStats(bare.Join("proc"), bare.Join("none"), bare.Join("sys"));
  CHECK(from_proc.cgroup.cpu_seconds == doctest::Approx(15));
  CHECK(from_proc.cgroup.cpu_system_seconds == doctest::Approx(5));
}
