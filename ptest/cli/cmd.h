/* cmd.h - ptest's subcommands. Each is `int cmd_NAME(int argc, char **argv)` with argv[0]
 * being the subcommand's name; it returns the process exit code (run.h: RUN_EXIT_*).
 * To add one: write ptest/cli/cmd_NAME.c, declare it here, and add one row to main.c's table and
 * one line to its usage text. */
#ifndef PTEST_CMD_H
#define PTEST_CMD_H

int cmd_run(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_capacity(int argc, char **argv);

/* Prints "ptest CMD: <message>" and "(ptest CMD --help for usage)" on stderr; returns
 * RUN_EXIT_USAGE for `return cmd_bad_usage("run", "...", ...)`. */
int cmd_bad_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
