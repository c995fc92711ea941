/* cmd_import.c - `ptest import PLAN.jmx`: a JMeter plan printed as ptest YAML. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "jmx.h"
#include "plan.h"
#include "run.h"
#include "units.h"

static void usage_import(FILE *f)
{
    fprintf(f, "usage: ptest import PLAN.jmx [-J name=value]... [--strict] [-d DURATION] [-o FILE]\n"
               "\n"
               "Prints the ptest YAML plan equivalent to a JMeter plan (what `ptest run PLAN.jmx`\n"
               "runs). What could not be mapped is reported on stderr and listed in a comment.\n"
               "\n"
               "  -J name=value        property for ${__P(name,default)} (as jmeter -J)\n"
               "      --strict         unsupported elements are errors (exit 2)\n"
               "  -d, --duration D     bound for thread groups that loop forever without a\n"
               "                       scheduler duration\n"
               "  -o, --output FILE    write the YAML to FILE instead of stdout\n"
               "  -h, --help           this help\n");
}

static void warn_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int read_all(const char *path, buf *b, char *err, size_t errlen)
{
    if (buf_read_file(b, path, SIZE_MAX) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"strict", no_argument, NULL, 'S'},
        {"duration", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    jmx_prop props[64];
    jmx_opts jo;
    const char *out_path = NULL;
    int ch, rc = RUN_EXIT_USAGE;

    memset(&jo, 0, sizeof jo);
    jo.props = props;
    jo.warn = warn_stderr;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "J:d:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'J': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return cmd_bad_usage("import", "-J: expected name=value, got \"%s\"", optarg);
            if (jo.n_props == sizeof props / sizeof props[0])
                return cmd_bad_usage("import", "-J: at most %zu properties", sizeof props / sizeof props[0]);
            *eq = '\0';
            props[jo.n_props].name = optarg;
            props[jo.n_props++].value = eq + 1;
            break;
        }
        case 'S': jo.strict = true; break;
        case 'd':
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &jo.duration_ns) != 0 || jo.duration_ns == 0 ||
                jo.duration_ns > PLAN_MAX_DURATION_NS)
                return cmd_bad_usage("import", "-d: expected a duration such as 10s or 2m, got \"%s\"", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'h': usage_import(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest import --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cmd_bad_usage("import", "%s", "missing PLAN.jmx");
    if (optind + 1 < argc)
        return cmd_bad_usage("import", "unexpected argument \"%s\"", argv[optind + 1]);

    const char *path = argv[optind];
    buf in = BUF_INIT, out = BUF_INIT;
    char err[1024], *yaml = NULL;
    size_t yl = 0;
    plan p;

    if (read_all(path, &in, err, sizeof err) != 0)
        goto fail;
    if (jmx_to_yaml(path, in.data ? in.data : "", in.len, &jo, &yaml, &yl, err, sizeof err) != JMX_OK)
        goto fail;
    /* Print only what ptest run would accept: the YAML is loaded once as a check. */
    if (plan_load_string(&p, path, yaml, yl, err, sizeof err) != 0)
        goto fail;
    plan_fini(&p);
    buf_append(&out, yaml, yl);
    if (out_path ? buf_write_file(&out, out_path) != 0
                 : fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        snprintf(err, sizeof err, "%s: %s", out_path ? out_path : "stdout", strerror(errno));
        goto fail;
    }
    rc = RUN_EXIT_OK;
    goto done;
fail:
    fprintf(stderr, "ptest import: %s\n", err);
done:
    free(yaml);
    buf_fini(&in);
    buf_fini(&out);
    return rc;
}
