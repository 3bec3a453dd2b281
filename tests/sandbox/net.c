/* Try to open sockets of several families; print the errno name or ok. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *err(int r) {
    if (r >= 0) return "ok";
    switch (errno) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return strerror(errno);
    }
}

int main(void) {
    int sv[2];
    printf("inet %s\n", err(socket(AF_INET, SOCK_STREAM, 0)));
    printf("inet6 %s\n", err(socket(AF_INET6, SOCK_DGRAM, 0)));
    printf("netlink %s\n", err(socket(AF_NETLINK, SOCK_RAW, 0)));
    printf("packet %s\n", err(socket(AF_PACKET, SOCK_RAW, 0)));
    printf("unix %s\n", err(socket(AF_UNIX, SOCK_STREAM, 0)));
    printf("unixpair %s\n", err(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    printf("inetpair %s\n", err(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
    return 0;
}
