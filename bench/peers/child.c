/* The one child program every supervisor in the peers bench runs.
 *
 * Written in C and built with the machine's cc at bench time, so that the
 * child's own start-up (a few hundred microseconds) is never what a figure
 * measures. Usage:
 *
 *   child sleep STAMPS            stamp a start, then wait for a signal
 *   child exit STAMPS             stamp a start and an exit, exit 1 at once
 *   child crash MS STAMPS         stamp a start, run MS ms, stamp an exit, exit 1
 *   child lines COUNT STAMPS [GATE]  stamp a start, write COUNT numbered 100-byte
 *                                 lines to stdout, one write(2) each, then wait
 *   child stream FILE STAMPS [GATE]  stamp a start, splice FILE to stdout, then wait
 *
 * STAMPS is a file to which "S <CLOCK_MONOTONIC ns> <pid>" and
 * "E <ns> <pid>" lines are appended (one O_APPEND write each, which the
 * kernel keeps whole), or "-" for none. GATE is a FIFO the writers open for
 * reading before they write: the open blocks until the bench opens it for
 * writing, so all writers start together and only once the bench has
 * sampled the supervisor's CPU. When the program is started as
 * "run" (s6 and runit execute ./run in the service directory), it reads its
 * arguments, one per line, from ./child.args instead: the run file is then a
 * symlink to this program and no shell runs between the supervisor and us.
 *
 * The lines are the stream bench/logstream.py generates (8-digit block,
 * 4-digit line, 85 'x', newline), so the captured logs are checked byte for
 * byte by the same code as the supervisord comparison.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 8

static const char *stamps = "-";

static void stamp(char kind)
{
    struct timespec ts;
    char line[64];
    int fd, len;

    if (strcmp(stamps, "-") == 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    len = snprintf(line, sizeof line, "%c %lld %d\n", kind,
                   (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid());
    fd = open(stamps, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)len) < 0)
        _exit(3);
    close(fd);
}

static void pass_gate(int argc, char **argv, int at)
{
    int fd;

    if (argc <= at || strcmp(argv[at], "-") == 0)
        return;
    while ((fd = open(argv[at], O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        _exit(10);
    close(fd);
}

static void wait_forever(void)
{
    for (;;)
        pause(); /* SIGTERM and SIGINT end us by their default action */
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            _exit(4);
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void lines(long count)
{
    char line[101];
    long k;

    memset(line, 'x', sizeof line);
    for (k = 0; k < count; k++) {
        /* "%08ld %04ld " is 14 bytes, then 85 'x' and the newline. */
        char head[32];
        snprintf(head, sizeof head, "%08ld %04ld ", k / 10000, k % 10000);
        memcpy(line, head, 14);
        line[99] = '\n';
        write_all(line, 100);
    }
}

static void stream(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    loff_t off = 0;
    char buf[1 << 16];

    if (fd < 0 || fstat(fd, &st) < 0)
        _exit(5);
    while (off < st.st_size) {
        ssize_t n = splice(fd, &off, 1, NULL, (size_t)(st.st_size - off) < (1 << 20)
                               ? (size_t)(st.st_size - off) : (1 << 20), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EINVAL || errno == ENOSYS))
            break; /* stdout is not a pipe here: copy instead */
        _exit(6);
    }
    if (lseek(fd, off, SEEK_SET) < 0)
        _exit(7);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            _exit(8);
        }
        write_all(buf, (size_t)n);
    }
    close(fd);
}

static int args_from_file(char **argv, char *storage, size_t size)
{
    int fd = open("child.args", O_RDONLY | O_CLOEXEC);
    ssize_t len;
    int argc = 1;
    char *p;

    if (fd < 0)
        _exit(9);
    len = read(fd, storage, size - 1);
    close(fd);
    if (len <= 0)
        _exit(9);
    storage[len] = '\0';
    for (p = storage; *p && argc < MAX_ARGS - 1;) {
        char *nl = strchr(p, '\n');
        argv[argc++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    return argc;
}

int main(int argc, char **argv)
{
    static char storage[4096];
    static char *file_argv[MAX_ARGS];
    const char *base = strrchr(argv[0], '/');

    base = base ? base + 1 : argv[0];
    if (strcmp(base, "run") == 0) {
        file_argv[0] = argv[0];
        argc = args_from_file(file_argv, storage, sizeof storage);
        argv = file_argv;
    }
    if (argc >= 3 && strcmp(argv[1], "sleep") == 0) {
        stamps = argv[2];
        stamp('S');
        wait_forever();
    } else if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
        stamps = argv[2];
        stamp('S');
        stamp('E');
        return 1;
    } else if (argc >= 4 && strcmp(argv[1], "crash") == 0) {
        struct timespec run = {atol(argv[2]) / 1000, (atol(argv[2]) % 1000) * 1000000L};
        stamps = argv[3];
        stamp('S');
        while (nanosleep(&run, &run) < 0 && errno == EINTR)
            ;
        stamp('E');
        return 1;
    } else if (argc >= 4 && strcmp(argv[1], "lines") == 0) {
        stamps = argv[3];
        stamp('S');
        pass_gate(argc, argv, 4);
        lines(atol(argv[2]));
        wait_forever();
    } else if (argc >= 4 && strcmp(argv[1], "stream") == 0) {
        stamps = argv[3];
        stamp('S');
        pass_gate(argc, argv, 4);
        stream(argv[2]);
        wait_forever();
    }
    fprintf(stderr, "usage: child sleep|exit|crash MS|lines COUNT|stream FILE STAMPS\n");
    return 2;
}
