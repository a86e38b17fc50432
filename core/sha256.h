/* sha256.h — content hashes for downloads, cache keys and lineage.
 *
 * A thin wrapper over OpenSSL's EVP digest API (libcrypto): climrisk never
 * hashes by hand. Hex digests are 64 lowercase characters plus a NUL. */
#ifndef CR_SHA256_H
#define CR_SHA256_H

#include <stddef.h>

#include "error.h"

#define CR_SHA256_HEX 65

struct cr_sha256 {
    void *ctx; /* EVP_MD_CTX, owned */
};

int cr_sha256_init(struct cr_sha256 *h, struct cr_err *err);
void cr_sha256_update(struct cr_sha256 *h, const void *data, size_t len);
/* Write the hex digest and release the context. */
void cr_sha256_final(struct cr_sha256 *h, char hex[CR_SHA256_HEX]);
/* Release without a digest (error paths). */
void cr_sha256_free(struct cr_sha256 *h);

/* One-shot digests. */
int cr_sha256_buf(const void *data, size_t len, char hex[CR_SHA256_HEX], struct cr_err *err);
int cr_sha256_file(const char *path, char hex[CR_SHA256_HEX], struct cr_err *err);
/* The same for a large file read once more by block afterwards (compute's
 * inputs): its pages leave the page cache as they are hashed, because
 * keeping the whole file cached costs more than reading it twice
 * (core/dropbehind.h). */
int cr_sha256_file_uncached(const char *path, char hex[CR_SHA256_HEX], struct cr_err *err);

#endif
