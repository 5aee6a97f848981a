/* What one hand-off between two processes costs on this machine: a byte
 * sent back and forth over a Unix socket pair between a process and its
 * child, both kept on one CPU (the woken one runs where the waker was) and
 * on two (the woken one's CPU may be asleep, halted, and must be woken),
 * and left to the scheduler. Latency and CPU per hand-off, which bound what
 * a path of several processes (client, emulator, bootstrap, watchdog) adds
 * over a path of two before any of them does work.
 * usage: wakeup ROUND_TRIPS   (prints one JSON object) */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s);
}

static double cpu_us(int who)
{
    struct rusage r;
    getrusage(who, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

/* Per hand-off (half a round trip): wall and CPU (both processes). */
static void run(int n, int parent_cpu, int child_cpu, double *wall, double *cpu)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        exit(1);
    double c0 = cpu_us(RUSAGE_SELF), k0 = cpu_us(RUSAGE_CHILDREN);
    pid_t p = fork();
    if (p == 0) {
        close(sv[0]);
        pin(child_cpu);
        char b;
        while (read(sv[1], &b, 1) == 1 && write(sv[1], &b, 1) == 1)
            ;
        _exit(0);
    }
    close(sv[1]);
    pin(parent_cpu);
    char b = 'x';
    for (int i = 0; i < 100; i++) /* both settled */
        if (write(sv[0], &b, 1) != 1 || read(sv[0], &b, 1) != 1)
            exit(1);
    double t = bench_now_us();
    for (int i = 0; i < n; i++)
        if (write(sv[0], &b, 1) != 1 || read(sv[0], &b, 1) != 1)
            exit(1);
    double el = bench_now_us() - t;
    close(sv[0]);
    waitpid(p, NULL, 0);
    *wall = el / (2.0 * n);
    *cpu = (cpu_us(RUSAGE_SELF) - c0 + cpu_us(RUSAGE_CHILDREN) - k0) / (2.0 * n);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    double sw, sc, cw, cc, fw, fc;
    run(n, 0, 0, &sw, &sc);
    run(n, 0, sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, &cw, &cc);
    run(n, -1, -1, &fw, &fc);
    printf("{\"same_cpu_us\":%.1f,\"same_cpu_cpu_us\":%.1f,\"two_cpus_us\":%.1f,\"two_cpus_cpu_us\":%.1f,"
           "\"free_us\":%.1f,\"free_cpu_us\":%.1f}\n",
           sw, sc, cw, cc, fw, fc);
    return 0;
}
