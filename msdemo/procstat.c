/* procstat.c - process metrics from getrusage(2), /proc/self/statm and /proc/self/fd. */
#include "procstat.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    uint64_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0; /* minus the descriptor opendir itself holds */
}

int procstat_read(procstat *ps)
{
    memset(ps, 0, sizeof *ps);
    int got = 0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        ps->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                          (double)ru.ru_stime.tv_usec / 1e6;
        got++;
    }
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        uint64_t size = 0, res = 0;
        if (fscanf(f, "%" SCNu64 " %" SCNu64, &size, &res) == 2) {
            uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
            ps->vsize_bytes = size * page;
            ps->rss_bytes = res * page;
            got++;
        }
        fclose(f);
    }
    ps->open_fds = count_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur;
    return got ? 0 : -1;
}
