/* sha256.c — SHA-256 through OpenSSL EVP; see sha256.h. */
#include "sha256.h"

#include "dropbehind.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

int cr_sha256_init(struct cr_sha256 *h, struct cr_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        h->ctx = NULL;
        return cr_err_set(err, CR_EINTERNAL, "cannot initialise SHA-256 (OpenSSL)");
    }
    h->ctx = ctx;
    return CR_OK;
}

void cr_sha256_update(struct cr_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, data, len);
}

void cr_sha256_final(struct cr_sha256 *h, char hex[CR_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, md, &n);
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    cr_sha256_free(h);
}

void cr_sha256_free(struct cr_sha256 *h)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
}

int cr_sha256_buf(const void *data, size_t len, char hex[CR_SHA256_HEX], struct cr_err *err)
{
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc)
        return rc;
    cr_sha256_update(&h, data, len);
    cr_sha256_final(&h, hex);
    return CR_OK;
}

static int hash_file(const char *path, int drop, char hex[CR_SHA256_HEX], struct cr_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cr_err_set(err, CR_EDATA, "cannot open '%s' to hash it: %s", path, strerror(errno));
    struct cr_sha256 h;
    int rc = cr_sha256_init(&h, err);
    if (rc) {
        fclose(fp);
        return rc;
    }
    struct cr_drop_behind cache = {.fd = -1};
    if (drop)
        cr_drop_behind_open(&cache, path);
    unsigned char buf[1 << 16];
    size_t n;
    long long off = 0;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        cr_sha256_update(&h, buf, n);
        cr_drop_behind_read(&cache, off, off + (long long)n);
        off += (long long)n;
    }
    cr_drop_behind_close(&cache);
    if (ferror(fp)) {
        cr_sha256_free(&h);
        fclose(fp);
        return cr_err_set(err, CR_EDATA, "cannot read '%s' to hash it", path);
    }
    fclose(fp);
    cr_sha256_final(&h, hex);
    return CR_OK;
}

int cr_sha256_file(const char *path, char hex[CR_SHA256_HEX], struct cr_err *err)
{
    return hash_file(path, 0, hex, err);
}

int cr_sha256_file_uncached(const char *path, char hex[CR_SHA256_HEX], struct cr_err *err)
{
    return hash_file(path, 1, hex, err);
}
