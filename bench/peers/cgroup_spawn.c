/* What it costs to start a child inside a new leaf cgroup, three ways.
 *
 * Run by bench/cgroup_spawn.py: cgroup_spawn MODE N SUBTREE. SUBTREE is an
 * existing empty cgroup v2 directory whose parent holds this process. N
 * children (/bin/sleep 1000) are started back to back and kept running, as a
 * supervisor's are; the time from the first start to the N-th is printed in
 * microseconds per child, then every child is killed and reaped and every
 * leaf removed.
 *
 *   bare        posix_spawn only (no leaf): the floor
 *   moves       mkdir leaf; this process into it; posix_spawn; back home
 *               (minderd's way, engine/cgroups.py)
 *   clone_into  mkdir leaf; clone3(CLONE_VFORK | CLONE_INTO_CGROUP) + execve
 *   clone_plain mkdir leaf; clone3(CLONE_VFORK) + execve: the same clone
 *               without the flag, to tell what the flag itself costs
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

extern char **environ;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void write_pid(const char *procs, const char *pid) {
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
        perror(procs);
        exit(1);
    }
    close(fd);
}

static pid_t clone_exec(char **args, int leaf_fd, int into) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VFORK | (into ? CLONE_INTO_CGROUP : 0);
    ca.exit_signal = SIGCHLD;
    ca.cgroup = (uint64_t)leaf_fd;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
        execve(args[0], args, environ);
        _exit(127);
    }
    return (pid_t)pid;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s bare|moves|clone_into|clone_plain N SUBTREE\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1], *subtree = argv[3];
    int n = atoi(argv[2]);
    int bare = !strcmp(mode, "bare"), moves = !strcmp(mode, "moves");
    int into = !strcmp(mode, "clone_into");
    char me[32], home[4096], leaf[4096], procs[4200];
    snprintf(me, sizeof me, "%d", (int)getpid());
    snprintf(home, sizeof home, "%s/../cgroup.procs", subtree);
    pid_t *kids = calloc((size_t)n, sizeof *kids);
    char *args[] = {"/bin/sleep", "1000", NULL};
    double t0 = now();
    for (int i = 0; i < n; i++) {
        snprintf(leaf, sizeof leaf, "%s/p%d", subtree, i);
        if (!bare && mkdir(leaf, 0755) < 0) {
            perror(leaf);
            return 1;
        }
        if (bare || moves) {
            if (moves) {
                snprintf(procs, sizeof procs, "%s/cgroup.procs", leaf);
                write_pid(procs, me);
            }
            if (posix_spawn(&kids[i], args[0], NULL, NULL, args, environ) != 0) kids[i] = -1;
            if (moves) write_pid(home, me);
        } else {
            int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            kids[i] = clone_exec(args, fd, into);
            close(fd);
        }
        if (kids[i] < 0) {
            perror("spawn");
            return 1;
        }
    }
    double spent = now() - t0;
    printf("%s %.1f\n", mode, spent / n * 1e6);
    for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
    for (int i = 0; !bare && i < n; i++) {
        snprintf(leaf, sizeof leaf, "%s/p%d", subtree, i);
        rmdir(leaf);
    }
    return 0;
}
