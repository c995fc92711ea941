/* fuzz_msdemo_config.c - msdemo's YAML config loader on arbitrary input: never crashes,
 * leaks or over-reads; on failure the message is located ("name:line:col: ..."); on success
 * every endpoint is well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "msdemo/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config cfg;
    char err[1024];
    if (config_init(&cfg) < 0)
        return 0;
    int rc = config_load_string(&cfg, "f.yaml", (const char *)data, size, err, sizeof err);
    if (rc < 0) {
        if (strncmp(err, "f.yaml", 6) != 0)
            abort();
    } else {
        if (cfg.n_endpoints > CONFIG_MAX_ENDPOINTS)
            abort();
        for (size_t i = 0; i < cfg.n_endpoints; i++) {
            const config_endpoint *e = &cfg.endpoints[i];
            if (e->path[0] != '/' || strlen(e->body) > e->body_len || e->delay.n == 0 || e->error_rate < 0 ||
                e->error_rate > 1 || e->error_status < 100 || e->error_status > 599)
                abort();
        }
    }
    config_fini(&cfg);
    return 0;
}
