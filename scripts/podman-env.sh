#!/usr/bin/env bash
# A private, Docker-compatible engine for medic's tests: podman's REST service with its own
# configuration, storage and socket under DIR, so it never touches anyone else's containers.
#
#   scripts/podman-env.sh start DIR   # idempotent; prints the socket path (unix socket file)
#   scripts/podman-env.sh stop DIR    # stops only the service started for DIR (pid file)
#   scripts/podman-env.sh env DIR     # prints export lines for running `podman` against DIR
#   scripts/podman-env.sh destroy DIR # stop, unmount podman's overlay bind mount, remove DIR
#
# MEDIC_PODMAN_IDLE_SECONDS (default 0 = never) makes the service exit by itself after that many
# idle seconds; the test helper uses it so a shared engine does not outlive the test run.
#
# Facts this relies on (DESIGN.md "Facts about the machines"): crun refuses this kernel's
# hybrid cgroups (runtime runc), default ulimits ask for more than the sandbox allows, images
# cannot be pulled (we import a busybox rootfs built from the busybox-static package).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|env|destroy DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

socket="$dir/podman.sock"
pid_file="$dir/podman.pid"
image="localhost/medic-busybox:latest"

export CONTAINERS_CONF="$dir/containers.conf"
export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$dir/registries.conf"

write_config() {
  mkdir -p "$dir/root" "$dir/run" "$dir/tmp" "$dir/volumes" "$dir/networks"
  cat >"$dir/containers.conf.new" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"
static_dir = "$dir/root/libpod"

[network]
network_config_dir = "$dir/networks"
EOF
  mv "$dir/containers.conf.new" "$dir/containers.conf"
  cat >"$dir/storage.conf.new" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/run"
EOF
  mv "$dir/storage.conf.new" "$dir/storage.conf"
  printf 'unqualified-search-registries = []\n' >"$dir/registries.conf"
}

service_running() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid=$(cat "$pid_file")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

ping_ok() {
  curl -fsS --max-time 2 --unix-socket "$socket" http://d/_ping >/dev/null 2>&1
}

build_image() {
  if podman image exists "$image" 2>/dev/null; then
    return 0
  fi
  local busybox=/bin/busybox
  [[ -x $busybox ]] || { echo "busybox-static is not installed" >&2; exit 1; }
  local rootfs="$dir/busybox-rootfs"
  rm -rf "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
  cp "$busybox" "$rootfs/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  mkdir -p "$rootfs/usr"
  ln -sf ../bin "$rootfs/usr/bin"
  ln -sf bin "$rootfs/sbin"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -cf "$dir/busybox.tar" .
  podman import --quiet --change 'CMD ["/bin/sh"]' "$dir/busybox.tar" "$image" >/dev/null
  rm -rf "$rootfs" "$dir/busybox.tar"
}

start() {
  # One starter at a time per DIR (parallel test processes may race here).
  exec 9>"$dir/start.lock"
  flock -w 120 9
  if service_running && ping_ok; then
    echo "$socket"
    return 0
  fi
  if service_running; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    sleep 0.5
  fi
  write_config
  build_image
  rm -f "$socket"
  # setsid: the service outlives the shell (and the test) that started it.
  setsid podman system service --time="${MEDIC_PODMAN_IDLE_SECONDS:-0}" "unix://$socket" \
    >>"$dir/service.log" 2>&1 </dev/null 9>&- &
  echo $! >"$pid_file"
  local attempt
  for attempt in $(seq 1 300); do
    if ping_ok; then
      echo "$socket"
      return 0
    fi
    if ! service_running; then
      echo "podman service exited; see $dir/service.log" >&2
      tail -20 "$dir/service.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "podman service did not answer _ping within 30 s; see $dir/service.log" >&2
  exit 1
}

stop() {
  if [[ -f "$pid_file" ]]; then
    local pid
    pid=$(cat "$pid_file")
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
  fi
  rm -f "$socket"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  env)
    echo "export CONTAINERS_CONF='$CONTAINERS_CONF'"
    echo "export CONTAINERS_STORAGE_CONF='$CONTAINERS_STORAGE_CONF'"
    echo "export CONTAINERS_REGISTRIES_CONF='$CONTAINERS_REGISTRIES_CONF'"
    echo "export DOCKER_HOST='unix://$socket'"
    ;;
  destroy)
    # Containers first: each has a conmon that outlives the service and would keep running
    # (with the container's processes) after DIR is gone. Local podman on DIR's storage works
    # whether or not the service is still alive.
    if [[ -f "$CONTAINERS_STORAGE_CONF" ]]; then
      timeout 60 podman rm --all --force --time 0 >/dev/null 2>&1 || true
    fi
    stop
    # What podman could not remove (an engine killed mid-operation keeps its containers
    # locked): the conmon of each of DIR's containers, found by its bundle path under DIR, and
    # the container processes under it.
    for conmon in $(pgrep -f -- "-b $dir/root/" || true); do
      pkill -KILL -P "$conmon" 2>/dev/null || true
      kill -KILL "$conmon" 2>/dev/null || true
    done
    # The overlay driver bind-mounts graphroot/overlay onto itself; unmount before removing.
    while read -r _ mount_point _; do
      case "$mount_point" in
        "$dir"/*) umount -l "$mount_point" 2>/dev/null || true ;;
      esac
    done < <(tac /proc/mounts)
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
