#!/usr/bin/env bash
# Makes local stand-ins for the public .NET base images, for machines that cannot pull from a registry (CI here):
#   grpcstream/standin-runtime:10.0  Debian 12 minbase + the .NET and ASP.NET Core runtimes, user 'app' (uid 1654)
#   grpcstream/standin-sdk:10.0      the same + the .NET SDK
# Both are built from this machine's .NET installation and a debootstrap'd Debian, then 'docker import'ed.
# Needs root, debootstrap and a running Docker engine. Does nothing for images that already exist.
set -euo pipefail

runtime_image=grpcstream/standin-runtime:10.0
sdk_image=grpcstream/standin-sdk:10.0
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$runtime_image" >/dev/null 2>&1 && docker image inspect "$sdk_image" >/dev/null 2>&1; then
  echo "standin images present"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "debootstrap (Debian 12, minbase)..."
debootstrap --variant=minbase --include=ca-certificates,libssl3,zlib1g,libstdc++6,libgcc-s1,libicu72 \
  bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
chroot "$rootfs" groupadd --gid 1654 app
chroot "$rootfs" useradd --uid 1654 --gid 1654 --no-create-home --shell /usr/sbin/nologin app
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# Trust what this machine trusts: where outbound TLS goes through a local inspecting proxy, the SDK's NuGet
# restore inside the build stage needs that proxy's root certificate.
if [ -d /usr/local/share/ca-certificates ]; then
  cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
fi
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

changes=(--change "ENV DOTNET_ROOT=/usr/share/dotnet" --change "ENV PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
         --change "ENV DOTNET_RUNNING_IN_CONTAINER=true" --change "WORKDIR /")

echo "runtime image..."
mkdir -p "$rootfs/usr/share/dotnet"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$rootfs/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$runtime_image" >/dev/null

echo "sdk image..."
cp -a "$dotnet_root/sdk" "$dotnet_root/packs" "$dotnet_root/sdk-manifests" "$dotnet_root/templates" "$rootfs/usr/share/dotnet/" 2>/dev/null || true
tar -C "$rootfs" -c . | docker import "${changes[@]}" --change "ENV DOTNET_CLI_TELEMETRY_OPTOUT=1" - "$sdk_image" >/dev/null
docker image ls grpcstream/standin-*
