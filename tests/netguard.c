/* LD_PRELOAD guard for tests/test_offline.py: every name lookup of a non-local host and every connect or sendto to
 * a non-loopback address, from Python or from native code (onnxruntime's telemetry uploader is C++), is written
 * to $NETGUARD_LOG and fails. Unix sockets and loopback pass, so a local server still works. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static void record(const char *what, const char *detail) {
    const char *path = getenv("NETGUARD_LOG");
    FILE *log = path ? fopen(path, "a") : NULL;
    if (log) {
        fprintf(log, "%s %s\n", what, detail ? detail : "(null)");
        fclose(log);
    }
}

static int local_name(const char *node) {
    return node == NULL || strcmp(node, "localhost") == 0 || strncmp(node, "127.", 4) == 0 || strcmp(node, "::1") == 0 ||
           strcmp(node, "0.0.0.0") == 0 || strcmp(node, "::") == 0;
}

/* 1 when addr may be reached: not an internet address, or a loopback one. */
static int allowed(const struct sockaddr *addr, char *text, size_t size) {
    if (addr == NULL) return 1;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, text, size);
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, size);
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return 1;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return 1;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    char text[INET6_ADDRSTRLEN] = "";
    if (!allowed(addr, text, sizeof text)) {
        record("connect", text);
        errno = ENETUNREACH;
        return -1;
    }
    if (!real) real = dlsym(RTLD_NEXT, "connect");
    return real(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    char text[INET6_ADDRSTRLEN] = "";
    if (!allowed(addr, text, sizeof text)) {
        record("sendto", text);
        errno = ENETUNREACH;
        return -1;
    }
    if (!real) real = dlsym(RTLD_NEXT, "sendto");
    return real(fd, buf, n, flags, addr, len);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!local_name(node)) {
        record("getaddrinfo", node);
        return EAI_FAIL;
    }
    if (!real) real = dlsym(RTLD_NEXT, "getaddrinfo");
    return real(node, service, hints, res);
}

struct hostent *gethostbyname(const char *name) {
    static struct hostent *(*real)(const char *);
    if (!local_name(name)) {
        record("gethostbyname", name);
        h_errno = NO_RECOVERY;
        return NULL;
    }
    if (!real) real = dlsym(RTLD_NEXT, "gethostbyname");
    return real(name);
}
