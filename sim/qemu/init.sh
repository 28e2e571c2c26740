#!/bin/sh
# /init of the Tamga QEMU guest (busybox sh). Brings up what Raspberry Pi OS would (device
# nodes, the drivers of the virt board's devices, the clock), mounts the host's 9p shares at
# /mnt/<tag>, runs /tamga/start.sh from the per-run archive, then powers off (QEMU exits 0).
# Lines starting "TAMGA:" are read by the host from the serial console (sim/qemu/machine.py).
export PATH=/usr/bin:/usr/sbin:/opt/busybox
/usr/bin/busybox mkdir -p /opt/busybox
/usr/bin/busybox --install -s /opt/busybox
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
stamp() { echo "TAMGA: $1 $(cut -d' ' -f1 /proc/uptime)"; }
stamp init
kernel=$(cat /etc/tamga/kernel-version)
while read -r module; do
    insmod "/lib/modules/$kernel/$module" || echo "TAMGA: insmod-failed $module"
done < /etc/tamga/modules
stamp modules
# Debian's kernel has the PL031 RTC built in and sets the clock from it at boot (hctosys);
# again here in case a kernel has it as a module, loaded after hctosys ran.
[ -e /dev/rtc0 ] && hwclock -s -u
for tag_file in /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag; do
    [ -e "$tag_file" ] || continue
    tag=$(tr -d '\0' < "$tag_file")
    mkdir -p "/mnt/$tag"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none "$tag" "/mnt/$tag" \
        || echo "TAMGA: mount-failed $tag"
done
stamp mounted
if [ -x /tamga/start.sh ]; then
    /tamga/start.sh
    echo "TAMGA: exit $?"
else
    echo "TAMGA: no /tamga/start.sh"
fi
sync
poweroff -f
