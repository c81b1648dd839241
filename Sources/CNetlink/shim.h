#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

/* Thin wrappers for Linux calls Swift cannot import directly (GNU-only
 * prototypes, variadic ioctl). Each returns 0 or -errno. Used by CorralNetwork. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <net/if.h>
#include <linux/if_tun.h>

extern int setns(int fd, int nstype);
extern int unshare(int flags);

#define CORRAL_CLONE_NEWNET 0x40000000

/* Moves the calling thread into the network namespace open at fd. */
static inline int corral_setns_net(int fd) {
    return setns(fd, CORRAL_CLONE_NEWNET) == 0 ? 0 : -errno;
}

/* Gives the calling thread a fresh network namespace. */
static inline int corral_unshare_net(void) {
    return unshare(CORRAL_CLONE_NEWNET) == 0 ? 0 : -errno;
}

/* mount(2) without fstype/data: bind mounts and propagation changes. */
static inline int corral_mount(const char *src, const char *dst, unsigned long flags) {
    return mount(src, dst, "none", flags, NULL) == 0 ? 0 : -errno;
}

/* umount2(2). */
static inline int corral_umount(const char *path, int flags) {
    return umount2(path, flags) == 0 ? 0 : -errno;
}

/* Creates a persistent tap device NAME in the caller's network namespace
 * (IFF_TAP|IFF_NO_PI, plus IFF_MULTI_QUEUE if multiqueue), owned by owner/group
 * when >= 0. Succeeds if an identical persistent tap already exists. */
static inline int corral_tap_create(const char *name, int multiqueue, int owner, int group) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (multiqueue ? IFF_MULTI_QUEUE : 0);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int rc = 0;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { rc = -errno; goto out; }
    if (owner >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0) { rc = -errno; goto out; }
    if (group >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0) { rc = -errno; goto out; }
    if (ioctl(fd, TUNSETPERSIST, 1UL) < 0) { rc = -errno; goto out; }
out:
    close(fd);
    return rc;
}

/* 1 if path is a namespace file (an nsfs bind mount such as /run/netns/NAME), 0 if not, -errno on error. */
static inline int corral_is_nsfs(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) return -errno;
    return st.f_type == 0x6e736673 ? 1 : 0;
}
