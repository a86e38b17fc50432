/* fuzz_config.c — the INI run configuration parser and validator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct cr_config cfg;
    struct cr_err err;
    cr_err_clear(&err);
    int rc = cr_config_load_string(&cfg, text, "fuzz.ini", "/base", &err);
    /* An error must say where; success must leave consistent values. */
    if (rc != CR_OK && strncmp(err.msg, "fuzz.ini", 8) != 0 && rc != CR_EINTERNAL)
        abort();
    if (rc == CR_OK && (cfg.synth_hist_first > cfg.synth_hist_last || cfg.jobs < 0))
        abort();
    cr_config_free(&cfg);
    free(text);
    return 0;
}
