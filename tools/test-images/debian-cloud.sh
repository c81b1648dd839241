#!/usr/bin/env bash
# debian-cloud.sh OUTDIR CACHE — OUTDIR/debian-cloud.tar, a Debian (host's
# release, 12 here) cloud image for KubeVirt-style containerDisk use:
# systemd, cloud-init (NoCloud, ConfigDrive), DHCP via ifupdown, the QEMU
# guest agent, serial console on ttyS0, root without password on the console
# (test image!).
#
# No loop devices and no mounts on the host: mmdebstrap (root mode, in a
# private mount namespace made with unshare) builds a directory; mkfs.ext4 -d
# turns it into the root filesystem; a FAT partition with syslinux holds the
# kernel and Debian's initrd; sfdisk + dd assemble an MBR disk image file.
# Packages come from the host's apt sources. Slow (~3-5 min); rebuilt only
# when this script or the candidate versions of its key packages change.
set -euo pipefail
OUT="$1"; CACHE="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$CACHE/debian-cloud"
say() { printf 'make-test-images: debian-cloud: %s\n' "$*"; }
die() { printf 'make-test-images: debian-cloud: ERROR: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap root mode, file ownership in the image)"

. /etc/os-release
SUITE="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
# dbus + libpam-systemd give systemd-logind, which turns the ACPI power
# button into a clean poweroff (graceful stop). qemu-guest-agent needs no
# enabling: its udev rule wants the (static) unit when the virtio port
# org.qemu.guest_agent.0 appears, which corrald's domains always have.
PACKAGES=linux-image-amd64,initramfs-tools,systemd-sysv,udev,dbus,libpam-systemd,cloud-init,ifupdown,isc-dhcp-client,netbase,iproute2,procps,kmod,qemu-guest-agent
# cloud-init: only local datasources; skip what this image has no tools for
# (growpart, ssh, locales), so that cloud-init reports success.
CLOUD_CFG='datasource_list: [ NoCloud, ConfigDrive, None ]
resize_rootfs: false
growpart: {mode: "off"}
ssh_genkeytypes: []
locale: C.UTF-8
'
export CLOUD_CFG
KEY="$( { cat "${BASH_SOURCE[0]}"; echo "$SUITE $PACKAGES $CLOUD_CFG";
          apt-cache policy linux-image-amd64 cloud-init systemd 2>/dev/null | grep Candidate; } | sha256sum | cut -c1-64)"
BUILD=(python3 "$HERE/build.py" --out "$OUT" --cache "$CACHE" --busybox /bin/busybox
       --images debian-cloud --extra-input "$KEY")

if "${BUILD[@]}" --check >/dev/null; then
    "${BUILD[@]}" --check; exit 0
fi
mkdir -p "$WORK"
DISK="$WORK/disk.qcow2"
if [ ! -s "$DISK" ] || [ "$(cat "$WORK/key" 2>/dev/null)" != "$KEY" ]; then
    rm -rf "$WORK/root" "$WORK"/*.img "$WORK"/*.raw "$DISK" "$WORK/key"
    SOURCES=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -s "$f" ] && SOURCES+=("$f")
    done
    [ "${#SOURCES[@]}" -gt 0 ] || die "no apt sources on the host"
    say "mmdebstrap $SUITE ($PACKAGES): a few minutes"
    t0=$SECONDS
    unshare --mount --propagation private \
        mmdebstrap --mode=root --format=directory --variant=apt --include="$PACKAGES" \
        --customize-hook='echo "LABEL=debian-root / ext4 defaults,errors=remount-ro 0 1" >"$1/etc/fstab"' \
        --customize-hook='echo debian >"$1/etc/hostname"' \
        --customize-hook='printf "%s" "$CLOUD_CFG" >"$1/etc/cloud/cloud.cfg.d/99-corral.cfg"' \
        --customize-hook='chroot "$1" passwd -d root' \
        --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : >"$1/etc/machine-id"' \
        "$SUITE" "$WORK/root" "${SOURCES[@]}" >"$WORK/mmdebstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/mmdebstrap.log"; die "mmdebstrap failed (log: $WORK/mmdebstrap.log)"; }
    say "rootfs built in $((SECONDS - t0))s ($(du -sh "$WORK/root" | cut -f1))"

    kernel="$(ls "$WORK"/root/boot/vmlinuz-* | head -n1)"
    initrd="$(ls "$WORK"/root/boot/initrd.img-* | head -n1)"
    [ -s "$kernel" ] && [ -s "$initrd" ] || die "no kernel/initrd in the rootfs"
    export SOURCE_DATE_EPOCH=946684800 MTOOLS_SKIP_CHECK=1
    # Partition 1 (1 MiB .. 129 MiB): FAT + syslinux, kernel and initrd.
    # Partition 2 (129 MiB ..): ext4 root, labelled debian-root.
    truncate -s 128M "$WORK/boot.img"
    mkfs.vfat -h 2048 -i c0a1c0a2 -n CORRALBOOT "$WORK/boot.img" >/dev/null
    printf 'SERIAL 0 115200\nDEFAULT debian\nPROMPT 0\nTIMEOUT 0\nLABEL debian\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND root=LABEL=debian-root ro console=tty0 console=ttyS0,115200\n' \
        >"$WORK/syslinux.cfg"
    cp "$kernel" "$WORK/vmlinuz"; cp "$initrd" "$WORK/initrd.img"
    mcopy -m -i "$WORK/boot.img" "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/syslinux.cfg" ::/
    syslinux --install "$WORK/boot.img"
    mkfs.ext4 -q -F -L debian-root -U c0a1c0a1-0000-4000-8000-00000000c0a1 -d "$WORK/root" "$WORK/root.img" 3G
    truncate -s $((1 + 128 + 3072))M "$WORK/disk.raw"
    printf 'label: dos\nlabel-id: 0xc0a1c0a1\nstart=2048, size=262144, type=c, bootable\nstart=264192, type=83\n' \
        | sfdisk -q "$WORK/disk.raw"
    dd if=/usr/lib/syslinux/mbr/mbr.bin of="$WORK/disk.raw" bs=440 count=1 conv=notrunc status=none
    dd if="$WORK/boot.img" of="$WORK/disk.raw" bs=1M seek=1 conv=notrunc status=none
    dd if="$WORK/root.img" of="$WORK/disk.raw" bs=1M seek=129 conv=notrunc,sparse status=none
    say "converting to compressed qcow2"
    qemu-img convert -c -f raw -O qcow2 "$WORK/disk.raw" "$DISK"
    rm -rf "$WORK/root" "$WORK"/*.img "$WORK"/*.raw "$WORK/vmlinuz" "$WORK/initrd.img"
    echo "$KEY" >"$WORK/key"
fi
"${BUILD[@]}" --debian-disk "$DISK"
