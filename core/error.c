/* error.c — struct cr_err helpers; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

void cr_err_clear(struct cr_err *err)
{
    if (!err)
        return;
    err->code = CR_OK;
    err->msg[0] = '\0';
}

int cr_err_set(struct cr_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int cr_err_prefix(struct cr_err *err, const char *fmt, ...)
{
    if (!err)
        return CR_EINTERNAL;
    char prefix[CR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    char old[CR_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    /* Truncation of an overlong message is acceptable; keep the prefix. */
    size_t plen = strlen(prefix);
    if (plen > sizeof err->msg - 3)
        plen = sizeof err->msg - 3;
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    cr_strlcpy(err->msg + plen + 2, old, sizeof err->msg - plen - 2);
    return err->code;
}

const char *cr_status_name(int code)
{
    switch (code) {
    case CR_OK:
        return "ok";
    case CR_EUSAGE:
        return "usage";
    case CR_EDATA:
        return "bad input";
    case CR_EEXTERNAL:
        return "external failure";
    case CR_EINTERNAL:
        return "internal error";
    case CR_EBUSY:
        return "busy";
    case CR_EINTERRUPT:
        return "interrupted";
    default:
        return "error";
    }
}
