/* fuzz_jmx.c - libFuzzer target for the JMeter plan importer: any input either converts to
 * YAML that the plan loader accepts (the importer only emits plans ptest can run; only the
 * contents of a data file it names may still be refused) or fails with a located,
 * terminated message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "ptest/plan/jmx/jmx.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const jmx_prop props[] = {{"host", "127.0.0.1"}, {"port", "8080"}};
    jmx_opts o = {props, 2, UINT64_C(10000000000), false, NULL, NULL};
    char err[512], perr[512], *yaml = NULL;
    size_t yl = 0;

    memset(err, 'x', sizeof err);
    int rc = jmx_to_yaml("f.jmx", (const char *)data, size, &o, &yaml, &yl, err, sizeof err);
    if (rc != JMX_OK) {
        check(yaml == NULL && rc < 0);
        check(memchr(err, '\0', sizeof err) != NULL && strncmp(err, "f.jmx:", 6) == 0);
        return 0;
    }
    check(yaml && strlen(yaml) == yl);
    plan p;
    if (plan_load_string(&p, "f.yaml", yaml, yl, perr, sizeof perr) != 0) {
        /* Emitted YAML must always load, but for what a data file it names holds (a CSV
         * Data Set may name any file of this machine: its rows are not the importer's). */
        check(strstr(perr, ": data: ") != NULL);
        free(yaml);
        return 0;
    }
    check(p.n_scenarios >= 1);
    for (size_t i = 0; i < p.n_scenarios; i++)
        check(p.scenarios[i].order == PLAN_ORDER_SEQUENCE && p.scenarios[i].n_requests >= 1);
    plan_fini(&p);
    free(yaml);
    return 0;
}
