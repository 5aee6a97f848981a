/* The faas-lambda command: one function per subcommand; each parses its own
 * arguments and calls the component that does the work. */
#ifndef FL_CLI_H
#define FL_CLI_H

int cmd_emulate(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_layer(int argc, char **argv);

/* Prints the error for a bad command line and returns the exit status 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
