/* error.h — how climrisk reports failure.
 *
 * Every fallible function returns an int status: CR_OK (0) or one of the
 * CR_E* classes below, which double as the process exit codes documented in
 * the README. The message goes into a caller-provided struct cr_err and must
 * name the thing that failed (file, variable, line, URL) and what to do about
 * it. Library code never prints an error and never calls exit(): the CLI
 * prints err.msg once and returns err.code from main(). */
#ifndef CR_ERROR_H
#define CR_ERROR_H

enum cr_status {
    CR_OK = 0,
    CR_EUSAGE = 1,      /* bad command line or configuration file */
    CR_EDATA = 2,       /* bad input data: NetCDF, manifest, checksum, values */
    CR_EEXTERNAL = 3,   /* network, database, external program failed */
    CR_EINTERNAL = 4,   /* out of memory, cannot write output, bug */
    CR_EBUSY = 5,       /* another run holds the lock */
    CR_EINTERRUPT = 130 /* stopped by SIGINT/SIGTERM (shell convention 128+2) */
};

#define CR_ERR_MSG_MAX 1024

struct cr_err {
    int code;
    char msg[CR_ERR_MSG_MAX];
};

/* Clear an error; a cleared error has code CR_OK and an empty message. */
void cr_err_clear(struct cr_err *err);

/* Record an error and return its code, so callers can write
 * `return cr_err_set(err, CR_EDATA, "...")`. err may be NULL. */
int cr_err_set(struct cr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix context to an existing message ("reading x.nc: <old message>")
 * and return err->code. */
int cr_err_prefix(struct cr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short name of a status class ("usage", "data", ...). */
const char *cr_status_name(int code);

#endif
